"""Known-wrong variants: what each catalogued mistake outputs on the test's inputs.

Importing this package registers every variant in grader.feedback.registry.VARIANTS.
"""
from grader.feedback.variants import basic, network, normalization, optim  # noqa: F401
