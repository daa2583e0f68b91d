"""The offline grader's signals, one declaration each (``simulator.grading.registry``)."""
