"""The training programme around the drills: question bank, theory quiz, the assessment,
assignments by level, feedback on the scorecards and the team view.

Where each rule comes from (the training material in ``../shared/seeds/``): the assessment is a
theory test worth 30 % (80 to pass, a resit when failed) and a practical test worth 70 % (randomly
drawn scenario cards played out and scored on the practical form, plus 3-5 of the trainee's recent
real calls or chats scored the same way); curricula are tiered (new hire, experienced agent,
senior); training is evaluated on four levels (reaction, learning, behaviour, results) and monthly
reviews pick the month's best performers.

Data lives with the content (``casebank/quizzes/``, ``casebank/curricula/``, ``casebank/exam/``,
``casebank/programme.yaml``) and is loaded and validated by :mod:`simulator.content`; records
(quiz attempts, assessments, assignments, ratings) live in the store's database
(:mod:`simulator.programme.tables`). Each module here holds one rule set and checks who may do
what with the signed-in user it is given.
"""
