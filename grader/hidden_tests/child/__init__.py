"""Code that runs inside the student's process (the hidden-test child).

Only the standard library and NumPy may be imported here, never the `grader` package:
at grading time this folder alone is copied next to the student's workspace. The grader
imports `grader.hidden_tests.child.protocol` to speak the same wire format.
"""
