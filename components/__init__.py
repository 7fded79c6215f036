"""Code that runs inside TFX components.

`components.ValidatedStatistics` is the name of the DataGate's artifact type: on Kubeflow, TFX
writes a custom type's name into the spec as its schema title and imports that title as a class
path inside the task, and the title must read `<namespace>.<Name>` (one dot). It is resolved
here lazily, so importing any module of the package imports nothing of TFX.
"""


def __getattr__(name: str):
    if name == "ValidatedStatistics":
        from components.data_gate import ValidatedStatistics

        return ValidatedStatistics
    raise AttributeError(f"module 'components' has no attribute {name!r}")
