"""The Gradio app: trainee practice, mentor review and the trainer's content library.

``services`` holds what handlers share, ``trainee``/``mentor``/``trainer`` are the handlers
(plain functions, tested without Gradio), ``views``/``report_export`` render plain data, and
``ui`` with ``ui_*`` wires them into ``gr.Blocks``. ``drill serve`` calls ``ui.launch_app``.
"""
