"""Many files at once: the rcl command (cli), its planning and local processes (batch), the step each file takes
(steps), and one task per file on a Dask cluster (distributed)."""
