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
    # -- tabs -------------------------------------------------------------------------------------
    "tab_training": ("Training", "培训"),
    "tab_quiz": ("Quiz", "理论小测"),
    "tab_assessment": ("Assessment", "考核"),
    "tab_assignments": ("My assignments", "我的任务"),
    "tab_team": ("Team", "团队"),
    "tab_month": ("This month", "本月概况"),
    "tab_assessments": ("Assessments", "考核管理"),
    "tab_team_assignments": ("Assignments", "任务布置"),
    "tab_ratings": ("Scorecard ratings", "评分卡反馈"),
    # -- labels of content values ---------------------------------------------------------------------
    "qtype.single": ("single choice", "单选题"),
    "qtype.multiple": ("multiple choice: pick every right option", "多选题：选出所有正确项"),
    "qtype.true_false": ("true or false", "判断题"),
    "qtype.best_reply": ("pick the best reply", "选出最佳回复"),
    "tag.phrasing": ("phrasing", "话术规范"),
    "tag.scenario": ("scenario judgement", "场景判断"),
    "tag.compliance": ("compliance", "合规"),
    "tag.product": ("product and policy", "产品与政策"),
    "level.new_hire": ("new hire", "新员工"),
    "level.experienced": ("experienced", "在职进阶"),
    "level.senior": ("senior", "骨干"),
    # -- the quiz -----------------------------------------------------------------------------------
    "quiz_intro_md": (
        "### Theory practice\nQuestions drawn at random from the bank. Each answer is checked and explained "
        "at once; the first answer counts.",
        "### 理论练习\n从题库随机抽题。每答一题立即判分并给出解析，以第一次作答为准。",
    ),
    "quiz_tag": ("Topic", "题目类别"),
    "quiz_count": ("Questions", "题量"),
    "quiz_start": ("▶ Start the quiz", "▶ 开始答题"),
    "quiz_count_range": ("A practice quiz has 1 to {most} questions.", "练习题量为 1 到 {most} 道。"),
    "quiz_none_open": ("Start a quiz first.", "请先开始一次测验。"),
    "quiz_choose": ("Your answer", "你的答案"),
    "quiz_choose_all": ("Your answer (all that apply)", "你的答案（多选）"),
    "quiz_previous": ("← Previous", "← 上一题"),
    "quiz_next": ("Next →", "下一题 →"),
    "quiz_check": ("Check my answer", "提交本题"),
    "quiz_save_next": ("Save and next", "保存并下一题"),
    "quiz_hand_in": ("Hand in", "交卷"),
    "quiz_pick_first": ("Choose an answer first.", "请先选择答案。"),
    "quiz_saved": ("Answer saved.", "答案已保存。"),
    "quiz_handed_in": ("Handed in.", "已交卷。"),
    "quiz_time_up_note": (
        "Time is up: the exam was marked with the answers you saved.",
        "考试时间到，已按你保存的答案判分。",
    ),
    "quiz_progress": (
        "Question {number} of {total} · {answered} answered",
        "第 {number}/{total} 题 · 已答 {answered} 题",
    ),
    "quiz_time_left": ("⏱ {time} left", "⏱ 剩余 {time}"),
    "quiz_marked": ("Score {score}/100 ({correct} of {total} right)", "得分 {score}/100（答对 {correct}/{total} 题）"),
    "quiz_expired_note": ("handed in when time ran out", "到时自动交卷"),
    "quiz_right": ("✅ Right", "✅ 回答正确"),
    "quiz_wrong": ("❌ Not quite", "❌ 回答有误"),
    "quiz_answer_is": ("answer: {answer}", "正确答案：{answer}"),
    "quiz_true": ("True", "正确"),
    "quiz_false": ("False", "错误"),
    "quiz_review": ("Review", "答题回顾"),
    "quiz_your_answer": ("your answer: {answer}", "你的答案：{answer}"),
    "quiz_unanswered": ("none", "未作答"),
    "quiz_key_later": (
        "Answers and explanations are shown once the assessment is closed.",
        "考核结束后公布答案与解析。",
    ),
    # -- the assessment, trainee side -------------------------------------------------------------------
    "assess_mine": ("My assessments", "我的考核"),
    "assess_none_md": (
        "_No assessment for you yet: your mentor creates one when it is time._",
        "_目前没有你的考核，带教老师安排后会出现在这里。_",
    ),
    "assess_pick_one": ("Choose an assessment first.", "请先选择一次考核。"),
    "assess_pick_card": ("Choose a card first.", "请先选择一张考核卡片。"),
    "assess_start_exam": ("📝 Theory exam", "📝 理论考试"),
    "assess_card_pick": ("Scenario card", "考核卡片"),
    "assess_play_card": ("▶ Play this card", "▶ 开始这张卡片"),
    "assess_card": ("Card {number}", "第 {number} 张卡片"),
    "assess_exam_started": (
        "The exam is timed on the server: {minutes} minute(s) left. Answers are saved as you move on.",
        "考试由服务器计时，剩余约 {minutes} 分钟。切换题目时答案会自动保存。",
    ),
    "assess_card_started_note": (
        "The card is on: read the brief and talk to the customer. Hand it in when you are done; "
        "its scorecard opens with your result.",
        "卡片已开始：先阅读简报，再与客户沟通。完成后点击“交卷”，评分卡会随考核成绩一起公布。",
    ),
    "assess_rules_short": (
        "Theory {theory} % + practical {practical} %, {mark} to pass · theory: {questions} questions in "
        "{minutes} minutes · practical: {cards} scenario card(s).",
        "理论占 {theory}%，实操占 {practical}%，{mark} 分及格 · 理论：{questions} 道题，限时 {minutes} 分钟 · "
        "实操：{cards} 张场景卡。",
    ),
    "assess_cards_done": ("{done} of {total} card(s) handed in", "已完成 {done}/{total} 张卡片"),
    "assess_result_later": (
        "_Your result and the cards' scorecards are shown once your mentor closes the assessment._",
        "_带教老师结束考核后，这里会显示你的成绩和各卡片的评分卡。_",
    ),
    "assess_resit_possible": (
        "You may retake: {parts}. Your mentor opens the resit.",
        "可以补考：{parts}。补考由带教老师安排。",
    ),
    "card_hand_in": ("Hand in this card", "交卷"),
    "card_graded": (
        "Card handed in. Its scorecard opens with your assessment result.",
        "卡片已交卷，评分卡将随考核成绩一起公布。",
    ),
    "card_grading_failed": (
        "Card handed in, but grading failed; your mentor will grade it again.",
        "卡片已交卷，但自动评分失败，带教老师会重新评分。",
    ),
    # -- assignments, trainee side ----------------------------------------------------------------------
    "assign_intro_md": (
        "### My assignments\nWhat your mentor gave you, with due dates. An item is done once you reach its "
        "target score.",
        "### 我的任务\n带教老师布置的练习和截止日期。达到目标分即算完成。",
    ),
    "assign_pick": ("Assignment", "任务"),
    "assign_start": ("▶ Start", "▶ 开始"),
    "assign_pick_one": ("Choose an assignment first.", "请先选择一项任务。"),
    # -- rating a scorecard -------------------------------------------------------------------------
    "rating_title_md": (
        "**How was this scorecard?** Your rating helps mentors check the grading.",
        "**这份评分卡怎么样？** 你的反馈能帮助带教老师检查评分是否合理。",
    ),
    "rating_fair": ("Fair? (1 = not at all, 5 = completely)", "公平吗？（1 = 很不公平，5 = 非常公平）"),
    "rating_useful": ("Useful? (1 = not at all, 5 = very)", "有帮助吗？（1 = 没帮助，5 = 很有帮助）"),
    "rating_comment": ("Comment (optional)", "补充说明（可选）"),
    "rating_submit": ("Send my rating", "提交反馈"),
    "rating_thanks": ("Thank you: your rating is saved.", "谢谢，你的反馈已保存。"),
    "rating_saved": (
        "You rated this scorecard; sending again replaces your rating.",
        "你已评价过这份评分卡，再次提交会覆盖之前的评价。",
    ),
    "rating_pick_session": ("Open a scorecard first.", "请先打开一份评分卡。"),
    "rating_both": ("Rate both: fair and useful.", "请同时选择“公平”和“有帮助”两项评分。"),
    # -- the team tab -------------------------------------------------------------------------------
    "prog.month": ("Month (YYYY-MM)", "月份（YYYY-MM）"),
    "prog.team": ("Team", "团队"),
    "prog.csv": ("⬇ CSV", "⬇ 导出 CSV"),
    "prog.month_summary": (
        "**{month}** · {count} trainee(s) · teams: {teams}",
        "**{month}** · 学员 {count} 人 · 团队：{teams}",
    ),
    "prog.best_title": ("Best performers, {month}", "{month} 月度之星"),
    "prog.best_rule": (
        "_The rule: at least {drills} graded drills this month; highest mean score first, then pass rate, "
        "then number of drills._",
        "_评选规则：本月至少完成 {drills} 次已评分对练；按平均分排序，其次看通过率，再看对练次数。_",
    ),
    "prog.best_none": ("Nobody has enough drills this month yet.", "本月还没有人达到评选所需的对练次数。"),
    "prog.pass_rate": ("pass rate", "通过率"),
    "prog.hardest": ("Hardest scenarios this month", "本月最难的场景"),
    "prog.sessions": ("{count} session(s)", "{count} 次"),
    "prog.no_sessions": ("No graded sessions this month.", "本月还没有已评分的对练。"),
    "prog.no_ratings": ("No scorecard ratings this month.", "本月还没有学员评价评分卡。"),
    "prog.ratings_summary": (
        "**Scorecard ratings**: {count} · fair {fair}/5 · useful {useful}/5 · {unfair} found unfair",
        "**评分卡反馈**：共 {count} 条 · 公平 {fair}/5 · 有帮助 {useful}/5 · {unfair} 条认为不公平",
    ),
    "prog.weakest_chart": ("Team's criteria this month (weakest first)", "本月团队各评分项（由弱到强）"),
    "prog.weekly_chart": ("Team's mean score by week", "团队每周平均分"),
    "prog.axis_criterion": ("criterion", "评分项"),
    "prog.axis_average": ("average (1-5)", "平均分（1-5）"),
    "prog.axis_week": ("week", "周"),
    "prog.axis_mean": ("mean score", "平均分"),
    "prog.create_assessment": ("➕ New assessment", "➕ 新建考核"),
    "prog.trainees": ("Trainees", "学员"),
    "prog.title": ("Title", "名称"),
    "prog.create": ("Create and draw the cards", "创建并抽取考核卡片"),
    "prog.created": (
        "Assessment created for {count} trainee(s); each drew their own cards.",
        "已为 {count} 名学员创建考核，每人各自抽取了考核卡片。",
    ),
    "prog.assessment": ("Assessment", "考核"),
    "prog.close": ("Close the result", "结束考核并出成绩"),
    "prog.closed": ("{name}: result {total}, {verdict}.", "{name}：总成绩 {total}，{verdict}。"),
    "prog.part": ("Part", "部分"),
    "prog.resit": ("Open a resit", "安排补考"),
    "prog.resit_open": (
        "{name}: resit {number} of the {part} part is open.",
        "{name}：{part}部分第 {number} 次补考已开放。",
    ),
    "prog.real_chats": ("Real chats (transcript JSON, 3-5)", "真实会话（transcript JSON，3 至 5 通）"),
    "prog.add_chats": ("Import and add", "导入并计入"),
    "prog.chats_added": (
        "{name} has {count} real chat(s) in this attempt.",
        "{name} 本次考核已计入 {count} 通真实会话。",
    ),
    "prog.export": ("⬇ Report (HTML)", "⬇ 导出报告（HTML）"),
    "prog.curriculum": ("Curriculum", "培训计划"),
    "prog.single_drill": ("…or a single drill", "……或单个对练"),
    "prog.when": ("Start / due date", "开始 / 截止日期"),
    "prog.when_info": (
        "YYYY-MM-DD. A curriculum starts on this day (today when empty); a single drill is due on it.",
        "格式 YYYY-MM-DD。培训计划从这一天开始（留空为今天）；单个对练以此为截止日期。",
    ),
    "prog.assign": ("Assign", "布置"),
    "prog.assigned": ("{count} item(s) assigned.", "已布置 {count} 项任务。"),
    "prog.overdue_only": ("Overdue only", "只看逾期"),
    "prog.none": ("—", "（不选）"),
    "prog.col_trainee": ("Trainee", "学员"),
    "prog.col_team": ("Team", "团队"),
    "prog.col_theory": ("Theory", "理论"),
    "prog.col_practical": ("Practical", "实操"),
    "prog.col_result": ("Result", "结论"),
    "prog.col_drills": ("Drills", "对练次数"),
    "prog.col_mean": ("Mean", "平均分"),
    "prog.col_trend": ("Trend", "较上月"),
    "prog.col_weakest": ("Weakest", "薄弱项"),
    "prog.col_overdue": ("Overdue", "逾期"),
    "prog.col_status": ("Status", "状态"),
    "prog.col_total": ("Total", "总成绩"),
    "prog.col_verdict": ("Verdict", "结论"),
    "prog.col_resit": ("May retake", "可补考"),
    "prog.col_due": ("Due", "截止日期"),
    "prog.col_item": ("Item", "任务"),
    "prog.col_kind": ("Kind", "类型"),
    "prog.col_state": ("State", "进度"),
    "prog.col_best": ("Best", "最好成绩"),
    "prog.col_target": ("Target", "目标分"),
    "prog.col_when": ("Rated", "评价时间"),
    "prog.col_scenario": ("Scenario", "场景"),
    "prog.col_fair": ("Fair", "公平"),
    "prog.col_useful": ("Useful", "有帮助"),
    "prog.col_overridden": ("Score changed by a mentor", "带教改过分"),
    "prog.col_comment": ("Comment", "说明"),
    # -- team tab errors --------------------------------------------------------------------------------
    "assess_pick_trainee": ("Choose an assessment and a trainee first.", "请先选择考核和学员。"),
    "assess_pick_language": ("Choose the assessment's language.", "请选择考核语言。"),
    "assess_no_files": ("Choose the chat files to import.", "请选择要导入的会话文件。"),
    "assess_chats_no_room": (
        "There is room for {room} more real chat(s) in this attempt (or it is closed); nothing was imported.",
        "本次考核还能计入 {room} 通真实会话（或考核已结束），未导入任何文件。",
    ),
    "assign_due_needed": ("A single drill needs a due date (YYYY-MM-DD).", "单个对练需要填写截止日期（YYYY-MM-DD）。"),
    "assign_pick_item": ("Choose a curriculum or a drill.", "请选择一个培训计划或一个对练。"),
}
