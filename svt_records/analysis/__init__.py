"""analysis: the physics of a test, pure: values and data files in, measurements out.

Owns svt.yaml's test definitions and the verdict of limits (``testtypes``), reading IV and
noise data files (``ivfile``), the IV and noise analyses (``iv_noise``, numpy, imported only
when analysing) and the plots (``plots``, matplotlib, imported on the first plot). No store
and no git inside: a test of this package needs neither.

May import: model.
"""
