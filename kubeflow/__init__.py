"""Kubeflow Pipelines v2 / Vertex AI: compile the pipeline, submit it, and the image it runs in."""
