"""UI and error strings of the training programme (quiz, assessment, assignments, ratings, team view).

Kept beside ``i18n.py``'s table and merged into it, so ``t()``, ``gr.I18n`` and ``AppError`` see
one catalogue; the message-catalogue issue moves both into per-language files.
key: (English, 简体中文). Placeholders use str.format names.
"""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    "exam_results_after_close": (
        "This drill was an exam card: its scorecard opens once your assessment result is out.",
        "这是一张考核卡片的对练：考核成绩公布后才能查看评分卡。",
    ),
    "part.theory": ("theory", "理论"),
    "part.practical": ("practical", "实操"),
    # -- quiz errors ------------------------------------------------------------------------------
    "quiz_not_enough": (
        "The bank has {available} {language} question(s) that fit; {asked} were asked for. "
        "Add questions to casebank/quizzes/ or ask for fewer.",
        "题库里符合条件的 {language} 题目只有 {available} 道，这次需要 {asked} 道。"
        "请在 casebank/quizzes/ 补充题目，或减少题量。",
    ),
    "quiz_bad_answer": (
        "Question {question}: that answer is not one of its options ({allowed}).",
        "题目 {question}：这个答案不在选项里（可选：{allowed}）。",
    ),
    "quiz_one_answer": ("Question {question} takes one answer.", "题目 {question} 只能选一个答案。"),
    "quiz_trainees_only": ("Quizzes are taken by trainees.", "测验只能由学员作答。"),
    "quiz_already_checked": (
        "You have already answered this question; its explanation is shown below.",
        "这道题已经作答，解析见下方。",
    ),
    "quiz_closed": (
        "This quiz has been handed in; its answers can no longer change.",
        "这份测验已经交卷，答案不能再修改。",
    ),
    "quiz_not_found": ("No such quiz for you.", "没有找到你可以查看的这份测验。"),
    "quiz_time_up": (
        "Time is up (the exam closed at {deadline}): it was marked with the answers saved before then.",
        "考试时间已到（{deadline} 截止），已按截止前保存的答案判分。",
    ),
    "quiz_unknown_question": ("Question {question} is not part of this quiz.", "题目 {question} 不在这份测验里。"),
    # -- assessment errors ------------------------------------------------------------------------
    "assess_no_trainees": ("Name at least one trainee.", "请至少选择一名学员。"),
    "assess_no_title": ("Give the assessment a title.", "请给这次考核起个名称。"),
    "assess_unknown_trainee": (
        "'{name}' is not a trainee account; check the name with `drill users list`.",
        "“{name}”不是学员账号，请用 `drill users list` 核对名字。",
    ),
    "assess_not_your_trainee": (
        "'{name}' is not in a team you coach.",
        "“{name}”不在你带教的团队里。",
    ),
    "assess_not_enough_cards": (
        "The exam pool has {available} {language} card(s) for these filters ({filters}); {asked} are needed. "
        "Add cases to casebank/exam/ or widen the filters.",
        "考核卡片池里符合条件（{filters}）的 {language} 卡片只有 {available} 张，需要 {asked} 张。"
        "请在 casebank/exam/ 补充案例，或放宽筛选条件。",
    ),
    "assess_not_found": ("No such assessment for you.", "没有找到你可以查看的这次考核。"),
    "assess_closed": (
        "This assessment is closed for this trainee; a mentor can open a resit of a failed part.",
        "这名学员的考核已经结束；未通过的部分可由带教老师安排补考。",
    ),
    "assess_wrong_session": (
        "That drill does not play this card.",
        "这场对练不是这张考核卡片的。",
    ),
    "assess_card_started": ("This card has already been played.", "这张卡片已经考过了。"),
    "assess_no_such_card": ("There is no card {position} in this attempt.", "这次考核没有第 {position} 张卡片。"),
    "assess_not_a_real_chat": (
        "Session {session} is not an imported real chat of {trainee}.",
        "记录 {session} 不是 {trainee} 导入的真实会话。",
    ),
    "assess_chat_language": (
        "Session {session} is not in {language}, the assessment's language.",
        "记录 {session} 的语言不是本次考核的 {language}。",
    ),
    "assess_too_many_chats": (
        "At most {most} real chats count in one attempt.",
        "每次考核最多计入 {most} 通真实会话。",
    ),
    "assess_too_few_chats": (
        "{count} real chat(s) added; use at least {least} or none.",
        "已加入 {count} 通真实会话；要么至少 {least} 通，要么一通都不用。",
    ),
    "assess_in_progress": (
        "{trainee}'s {part} part is still in progress (an exam open or a drill not graded); close it afterwards.",
        "{trainee} 的{part}部分还在进行中（考试未交卷或对练未评分），请完成后再结束考核。",
    ),
    "assess_unscored": (
        "{trainee}'s {part} part has a scorecard with unscored criteria; complete it in Mentor review "
        "(override the unscored criteria) and close again.",
        "{trainee} 的{part}部分有评分卡存在未评分的项；请在带教复盘里补充评分（修改评分）后再结束考核。",
    ),
    "assess_resit_not_closed": (
        "A resit is opened once the result is closed.",
        "考核结束、成绩确定之后才能安排补考。",
    ),
    "assess_no_resit": (
        "The {part} part cannot be retaken: it passed, or its {resits} resit(s) are used.",
        "{part}部分不能补考：该部分已通过，或 {resits} 次补考机会已用完。",
    ),
    # -- assignments, ratings, team view errors -------------------------------------------------------
    "assign_unknown_curriculum": (
        "No curriculum '{id}'; curricula: {known}.",
        "没有名为“{id}”的培训计划；现有：{known}。",
    ),
    "assign_unknown_case": (
        "No practice case '{id}' (exam cards cannot be assigned for practice).",
        "没有练习案例“{id}”（考核卡片不能布置为练习）。",
    ),
    "assign_not_found": ("No such assignment for you.", "没有找到你可以查看的这项任务。"),
    "assign_not_a_quiz": ("That assignment is not one of your quizzes.", "这项任务不是你的测验。"),
    "rating_no_session": ("No such scorecard for you.", "没有找到你可以评价的这份评分卡。"),
    "rating_not_graded": (
        "This scorecard cannot be rated yet (not graded, or an exam card whose result is not out).",
        "这份评分卡暂时不能评价（还没有评分，或是成绩尚未公布的考核卡片）。",
    ),
    "rating_range": ("'{name}' is rated 1 to 5 (got {value}).", "“{name}”的评分是 1 到 5（收到 {value}）。"),
    "rating_comment_long": (
        "The comment is {length} characters; the limit is {limit} (DRILL_MAX_COMMENT_CHARS).",
        "评语有 {length} 个字，上限是 {limit}（DRILL_MAX_COMMENT_CHARS）。",
    ),
    "team_bad_month": (
        "'{month}' is not a month; write it as YYYY-MM, e.g. 2026-11.",
        "“{month}”不是有效的月份，请写成 YYYY-MM，例如 2026-11。",
    ),
    # -- labels -----------------------------------------------------------------------------------
    "state.not_started": ("not started", "未开始"),
    "state.in_progress": ("in progress", "进行中"),
    "state.ended": ("ended, not graded", "已结束，未评分"),
    "state.graded": ("graded", "已评分"),
    "state.done": ("done", "已完成"),
    "state.closed": ("closed", "已结束"),
    "state.open": ("open", "进行中"),
    "state.submitted": ("handed in", "已交卷"),
    "state.expired": ("time ran out", "超时交卷"),
    "kind.card": ("card", "卡片"),
    "kind.real_chat": ("real chat", "真实会话"),
    "kind.drill": ("drill", "对练"),
    "kind.quiz": ("quiz", "测验"),
    # -- the assessment report ------------------------------------------------------------------------
    "report.trainee": ("Trainee", "学员"),
    "report.status": ("Status", "状态"),
    "report.total": ("Result", "总成绩"),
    "report.verdict": ("Verdict", "结论"),
    "report.passed": ("passed", "通过"),
    "report.failed": ("not passed", "未通过"),
    "report.incomplete": ("not complete yet", "尚未完成"),
    "report.failed_parts": ("Parts not passed", "未通过的部分"),
    "report.resits_open": ("May be retaken", "可以补考的部分"),
    "report.created": ("Created by", "创建"),
    "report.theory": ("Theory ({weight} %)", "理论考核（占 {weight}%）"),
    "report.practical": ("Practical ({weight} %)", "实操考核（占 {weight}%）"),
    "report.practical_score": ("Practical score", "实操得分"),
    "report.first_attempt": ("first attempt", "首次考核"),
    "report.resit": ("resit {number}", "第 {number} 次补考"),
    "report.real_chat": ("real chat {session}", "真实会话 {session}"),
    "report.col_attempt": ("Attempt", "场次"),
    "report.col_state": ("State", "状态"),
    "report.col_score": ("Score", "得分"),
    "report.col_item": ("Item", "项目"),
    "report.col_scenario": ("Scenario", "场景"),
    "report.col_customer": ("Customer", "客户"),
    "report.own_mark": (", and theory {mark} on its own", "，且理论单独不低于 {mark} 分"),
    "report.rules": (
        "Rules: theory {theory} % + practical {practical} %; pass at {mark}{own}; a failed part may be retaken "
        "{resits} time(s), every result kept. Theory: {questions} questions in {minutes} minutes. Practical: "
        "{cards} scenario card(s) drawn at random, plus {low}-{high} real chats when used "
        "({chat_share} % of the practical score).",
        "规则：理论占 {theory}%，实操占 {practical}%；总成绩 {mark} 分及以上通过{own}；未通过的部分可补考 {resits} 次，"
        "每次成绩都保留。理论：{questions} 道题，限时 {minutes} 分钟。实操：随机抽取 {cards} 张场景卡；"
        "如计入真实会话，需 {low} 至 {high} 通，占实操成绩的 {chat_share}%。",
    ),
}
