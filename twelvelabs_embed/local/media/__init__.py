"""Media work that runs in worker processes: probe, frames, encoders, segment vectors."""
