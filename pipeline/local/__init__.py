"""Runs the pipeline on this machine: the LocalDagRunner, its console progress, the run lock."""
