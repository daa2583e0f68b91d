"""Fitting the offline grader's weights from labelled transcripts, and refitting a centre's from its mentors' overrides.

``features`` measures the grader's signals on a transcript; ``model`` fits one regularised linear
model per criterion (cross-validated by situation) and scores with fitted weights exactly as the
grader does; ``weights_file`` writes the weights with their provenance; ``overrides`` exports a
store's mentor overrides as labelled data; ``centre`` refits a centre's weights from them. How to
run it: docs/grader-weights.md.
"""
