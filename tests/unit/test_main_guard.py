"""Which line of a script counts as guarded by ``if __name__ == "__main__":``."""

from __future__ import annotations

import pytest

from twelvelabs_embed.local.main_guard import line_is_guarded

SCRIPT = """\
import asyncio
from twelvelabs_embed import AsyncTwelveLabs

async def main():
    async with AsyncTwelveLabs.local() as client:
        pass

asyncio.run(main())
if __name__ == "__main__":
    asyncio.run(main())
try:
    if "__main__" == __name__:
        asyncio.run(main())
finally:
    asyncio.run(main())
with open(__file__):
    asyncio.run(main())
"""


@pytest.mark.parametrize(
    ("line", "guarded"),
    [
        (8, False),  # top level
        (10, True),  # under the guard
        (13, True),  # a guard inside try:, written the other way round
        (15, False),  # finally: of that try, outside the guard
        (17, False),  # with: is no guard
        (5, False),  # inside a def: never the module frame's line, and not guarded
    ],
)
def test_line_is_guarded(line: int, guarded: bool) -> None:
    assert line_is_guarded(SCRIPT, line) is guarded
