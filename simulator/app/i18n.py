"""Every UI string of the app in English and Simplified Chinese.

Static labels go to the browser as ``gr.I18n`` markers (the page follows the browser's
language); handlers call :func:`t` for text they build, in the language the user picked or the
browser asked for. :class:`AppError` carries a message key so that errors reach the user in
their language. Importing this module does not import Gradio.
"""

from __future__ import annotations

from typing import Any, cast

from simulator.app.i18n_programme import STRINGS as PROGRAMME_STRINGS
from simulator.errors import DrillError
from simulator.limits import MESSAGE_CHARS
from simulator.models import LANGUAGES, Language

# key: (English, 简体中文). Placeholders use str.format names.
_STRINGS: dict[str, tuple[str, str]] = {
    # -- header ---------------------------------------------------------------------------------
    "app_title_md": (
        "# 🎧 drill — customer-service practice\n"
        "Practise with a simulated customer, get a scorecard, review with a mentor.",
        "# 🎧 drill — 客服实战演练\n与模拟客户对练,获得评分卡,与带教老师一起复盘。",
    ),
    "ui_language": ("Language", "界面语言"),
    "lang_auto": ("Browser", "跟随浏览器"),
    "customer_engine": ("Customer", "模拟客户"),
    "grader_engine": ("Grader", "评分"),
    "engine.offline": ("offline (scripted, no LLM)", "离线(脚本引擎,无需大模型)"),
    "engine.llm": ("LLM", "大模型"),
    "how_to_llm": (
        "To let an LLM play the customer and grade: set `DRILL_LLM_BASE_URL` (any OpenAI-compatible endpoint, "
        "e.g. Ollama's `http://localhost:11434/v1`), `DRILL_LLM_MODEL` and, if needed, `DRILL_LLM_API_KEY`, "
        "then restart `drill serve`.",
        "如需由大模型扮演客户并评分:设置 `DRILL_LLM_BASE_URL`(任意 OpenAI 兼容接口,例如 Ollama 的 "
        "`http://localhost:11434/v1`)、`DRILL_LLM_MODEL`,必要时设置 `DRILL_LLM_API_KEY`,然后重启 `drill serve`。",
    ),
    "local_mode": (
        "Single-user local mode (no accounts in {path}): you hold every role. "
        "Add accounts with `drill users add NAME --role trainee` and restart to require sign-in.",
        "单用户本地模式({path} 中没有账号):你拥有全部角色。"
        "用 `drill users add 用户名 --role trainee` 添加账号并重启后即需登录。",
    ),
    "signed_in_as": ("Signed in as **{name}** ({roles})", "当前用户 **{name}**({roles})"),
    "sign_out": ("Sign out", "退出登录"),
    "login_message": ("Sign in with your drill account", "请使用 drill 账号登录"),
    "role.trainee": ("trainee", "学员"),
    "role.mentor": ("mentor", "带教老师"),
    "role.trainer": ("trainer", "培训师"),
    "tab_trainee": ("Practice", "练习"),
    "tab_mentor": ("Mentor review", "带教复盘"),
    "tab_trainer": ("Content library", "内容库"),
    # -- trainee: picking ---------------------------------------------------------------------
    "tab_practice": ("Drill", "对练"),
    "tab_progress": ("My progress", "我的进步"),
    "pick_scenario_md": (
        "### 1 · Pick a customer and a scenario\nChoose both, or draw a random scenario card as in the practical exam.",
        "### 1 · 选择客户与场景\n自行选择,或像实操考试那样随机抽取一张场景卡。",
    ),
    "any": ("Any", "全部"),
    "category": ("Category", "场景类型"),
    "language": ("Language", "语言"),
    "difficulty": ("Difficulty", "难度"),
    "persona": ("Customer", "客户"),
    "scenario": ("Scenario", "场景"),
    "draw_card": ("🎲 Draw a card", "🎲 随机抽题"),
    "start_drill": ("▶ Start drill", "▶ 开始对练"),
    "card_empty": (
        "_Your scenario card appears here: what an agent would know before picking up._",
        "_场景卡将显示在这里:接起电话前客服能知道的信息。_",
    ),
    "card_drawn": ("Card drawn. Read the brief, then press Start drill.", "已抽取场景卡。阅读简报后点击“开始对练”。"),
    "channel": ("Channel", "渠道"),
    "product": ("Product", "产品/服务"),
    "brief": ("Brief", "简报"),
    "customer": ("Customer", "客户"),
    "industry": ("Industry", "行业"),
    "industry.e-commerce": ("e-commerce", "电商零售"),
    "industry.food-delivery": ("food delivery", "外卖配送"),
    "industry.telecom": ("telecom", "通信运营商"),
    "industry.banking": ("banking", "银行金融"),
    "industry.travel": ("travel", "出行旅游"),
    "industry.education": ("education", "教育培训"),
    "industry.appliances": ("appliance service", "家电售后"),
    "industry.internet-services": ("apps & subscriptions", "互联网服务"),
    "industry.fitness": ("fitness", "健身"),
    "show_all_pairs": ("Show all customer-scenario pairs", "显示全部客户与场景组合"),
    "show_all_pairs_info": (
        "Off: only customers whose type fits the scenario's customer (gender, age, relation).",
        "不勾选时，只列出与场景中客户身份（性别、年龄、与账户关系）相符的客户类型。",
    ),
    "start": ("Starts", "开始于"),
    "start.greeting": ("at the greeting", "从问候开始"),
    "start.mid_conversation": ("mid-conversation", "对话中途接手"),
    "can_do": ("You can", "可以办理"),
    "can_look_up": ("You can look up", "可以查询"),
    "cannot_do": ("You cannot", "不能办理"),
    "customer_identity": ("Customer (identity)", "客户身份"),
    "customer_refuses": ("Offers the customer turns down", "客户会拒绝的方案"),
    "gender.female": ("female", "女"),
    "gender.male": ("male", "男"),
    "gender.unspecified": ("gender not stated", "性别未注明"),
    "relation.account_holder": ("account holder", "账户本人"),
    "relation.family_member": ("family member of the holder", "账户持有人的家人"),
    "relation.representative": ("acting for someone else", "代他人办理"),
    "relation.prospect": ("prospective customer", "潜在客户"),
    "relation.impostor": ("impostor posing as the holder", "冒充账户本人"),
    "fits": ("Fits", "适配身份"),
    "category.presales": ("pre-sales", "售前咨询"),
    "category.logistics": ("delivery", "物流配送"),
    "category.quality": ("product quality", "质量问题"),
    "category.returns": ("returns", "退换货"),
    "category.fees": ("fees & billing", "费用争议"),
    "category.promotions": ("promotions", "促销活动"),
    "category.privacy": ("privacy", "隐私安全"),
    "category.authority": ("beyond authority", "超权限诉求"),
    "category.outage": ("outage", "系统故障"),
    "category.abusive": ("abusive caller", "辱骂威胁"),
    "category.followup": ("follow-up", "回访跟进"),
    "category.membership": ("membership", "会员权益"),
    "difficulty.easy": ("easy", "简单"),
    "difficulty.medium": ("medium", "中等"),
    "difficulty.hard": ("hard", "困难"),
    "language.zh-CN": ("Chinese", "中文"),
    "language.en": ("English", "英文"),
    "channel.phone": ("phone", "电话"),
    "channel.chat": ("online chat", "在线客服"),
    "channel.outbound_call": ("outbound call", "外呼电话"),
    "archetype.rational": ("rational", "理性型"),
    "archetype.emotional": ("emotional", "感性型"),
    "archetype.impatient": ("impatient", "急躁型"),
    "archetype.skeptical": ("skeptical", "疑虑型"),
    "archetype.elderly": ("elderly", "老年客户"),
    "archetype.bargainer": ("compensation hunter", "索赔型"),
    "archetype.hostile": ("hostile", "敌对型"),
    # -- trainee: chatting ----------------------------------------------------------------------
    "conversation": ("Conversation", "对话"),
    "chat_placeholder": (
        "**Pick a customer and a scenario, then press ▶ Start drill.**<br>The customer speaks first; reply as you "
        "would on the job.",
        "**选择客户和场景,然后点击“▶ 开始对练”。**<br>客户会先开口,请像在岗位上一样回复。",
    ),
    "your_reply": ("Your reply", "你的回复"),
    "reply_placeholder": ("Type what you would say to the customer…", "输入你要对客户说的话……"),
    "reply_info": (
        f"Enter sends · Shift+Enter for a new line · up to {MESSAGE_CHARS.value} characters",
        f"回车发送 · Shift+回车换行 · 最多 {MESSAGE_CHARS.value} 个字符",
    ),
    "send": ("Send", "发送"),
    "retry": ("↻ Retry the reply", "↻ 重新获取回复"),
    "stop_reply": ("◼ Stop this reply", "◼ 停止这条回复"),
    "end_drill": ("■ End and score", "■ 结束并评分"),
    "try_again": ("↺ Try this scenario again", "↺ 再练一次该场景"),
    "patience": ("Customer patience", "客户耐心"),
    "patience_unknown": ("Customer patience appears once the drill starts.", "开始对练后显示客户耐心。"),
    "mood_calm": ("calm", "平静"),
    "mood_annoyed": ("annoyed", "不耐烦"),
    "mood_angry": ("angry", "生气"),
    "mood_furious": ("furious", "暴怒"),
    "mood": ("mood", "情绪"),
    "drill_started": (
        "The customer is on the line. Reply in the box below.",
        "客户已接入,请在下方输入回复。",
    ),
    "drill_resumed": ("Your open drill was restored where you left it.", "已恢复你未完成的对练。"),
    "reply_pending": (
        "Your last message has no reply yet: press Retry.",
        "你的上一条消息还没有收到回复:请点击“重新获取回复”。",
    ),
    "customer_typing": ("The customer is typing…", "客户正在输入……"),
    "customer_ended": ("The customer ended the conversation ({outcome}).", "客户结束了对话({outcome})。"),
    "grading": ("Scoring…", "正在评分……"),
    "drill_ended": ("Drill ended. Your scorecard is below.", "对练已结束,评分卡见下方。"),
    "outcome.resolved": ("resolved", "问题解决"),
    "outcome.gave_up": ("customer gave up", "客户放弃"),
    "outcome.escalated": ("escalated to a supervisor", "要求升级主管"),
    "outcome.abandoned": ("ended by the trainee", "学员结束"),
    "status.open": ("in progress", "进行中"),
    "status.ended": ("ended", "已结束"),
    "status.graded": ("scored", "已评分"),
    # -- scorecard --------------------------------------------------------------------------------
    "scorecard": ("Scorecard", "评分卡"),
    "verdict_pass": ("PASS", "通过"),
    "verdict_fail": ("FAIL", "未通过"),
    "verdict_incomplete": ("INCOMPLETE", "评分不完整"),
    "verdict_unsupported": ("NOT PASSED: UNSUPPORTED", "未通过：缺少依据"),
    "unsupported_explained": (
        "A score rests on something the agent did but no quote from the agent backs it; "
        "a mentor's review (override) settles it.",
        "有评分项依据的是客服说过或做过的事，却没有一句客服原话能作证；需导师复核（改分）后才能判定。",
    ),
    "incomplete_explained": (
        "At least one criterion could not be scored, so there is no total (never a made-up 0).",
        "有评分项未能打分,因此不计算总分(不会用 0 分代替)。",
    ),
    "pass_mark": ("pass mark", "及格线"),
    "criterion": ("Criterion", "评分项"),
    "weight": ("Weight", "权重"),
    "score": ("Score", "得分"),
    "evidence": ("Evidence", "依据"),
    "try_instead": ("Try instead", "建议说法"),
    "from_case": ("from case", "参考案例"),
    "unscored": ("unscored", "未评分"),
    "findings": ("Rule checks", "规则检查"),
    "no_findings": ("No issues found.", "未发现问题。"),
    "whole_conversation": ("whole conversation", "整段对话"),
    "severity_violation": ("violation", "违规"),
    "severity_warning": ("warning", "提醒"),
    "severity_info": ("note", "说明"),
    "grader": ("Grader", "评分引擎"),
    "rubric_version": ("rubric version", "评分标准版本"),
    "references": ("Reference cases", "参考案例"),
    "overrides": ("Mentor overrides", "带教老师改分"),
    "grader_score": ("grader", "系统评分"),
    "mentor_score": ("mentor", "老师评分"),
    "reason": ("Reason", "理由"),
    "by": ("By", "修改人"),
    "coaching_tips": ("Coaching tips", "应对要点"),
    # -- progress -------------------------------------------------------------------------------
    "refresh": ("↻ Refresh", "↻ 刷新"),
    "score_trend": ("Score trend", "分数趋势"),
    "criterion_averages": ("Average per criterion (1–5)", "各评分项平均分(1–5)"),
    "my_sessions": ("My sessions", "我的练习记录"),
    "open_session": ("Session", "选择记录"),
    "show": ("Show", "查看"),
    "attempt": ("attempt", "第几次"),
    "total": ("total", "总分"),
    "average": ("average", "平均分"),
    "col_id": ("id", "编号"),
    "col_trainee": ("Trainee", "学员"),
    "col_started": ("Started", "开始时间"),
    "col_persona": ("Customer", "客户"),
    "col_case": ("Scenario", "场景"),
    "col_status": ("Status", "状态"),
    "col_outcome": ("Outcome", "结果"),
    "col_total": ("Total", "总分"),
    "col_result": ("Result", "评定"),
    "col_name": ("Name", "名称"),
    "col_archetype": ("Type", "类型"),
    "col_difficulty": ("Difficulty", "难度"),
    "col_languages": ("Languages", "语言"),
    "col_starting_mood": ("Start mood", "初始情绪"),
    "col_patience": ("Patience", "耐心"),
    "col_title": ("Title", "标题"),
    "col_category": ("Category", "类型"),
    "col_industry": ("Industry", "行业"),
    "col_start": ("Starts", "开始于"),
    "col_language": ("Language", "语言"),
    "col_channel": ("Channel", "渠道"),
    "col_personas": ("Suited customers", "适用客户"),
    "result.any": ("Any", "全部"),
    "result.pass": ("pass", "通过"),
    "result.fail": ("fail", "未通过"),
    "result.incomplete": ("incomplete", "评分不完整"),
    "result.ungraded": ("not scored", "未评分"),
    "result.override": ("mentor", "老师改分"),
    # -- mentor ------------------------------------------------------------------------------------
    "find_sessions": ("Find sessions", "查找练习记录"),
    "since": ("From (YYYY-MM-DD)", "起始日期(YYYY-MM-DD)"),
    "until": ("To (YYYY-MM-DD)", "截止日期(YYYY-MM-DD)"),
    "min_score": ("Min total", "最低总分"),
    "max_score": ("Max total", "最高总分"),
    "search": ("Search", "查询"),
    "sessions": ("Sessions", "练习记录"),
    "open": ("Open", "打开"),
    "found_sessions": ("{count} session(s) found.", "找到 {count} 条记录。"),
    "replay": ("Replay", "回放"),
    "replay_placeholder": (
        "Search, pick a session and press **Open** to replay it.",
        "查询后选择一条记录,点击**打开**即可回放。",
    ),
    "step": ("Turn", "回合"),
    "show_all": ("Show all", "显示全部"),
    "turn": ("turn", "回合"),
    "mood_curve": ("Customer mood (10 = furious)", "客户情绪曲线(10 = 暴怒)"),
    "notes_on_turn": ("Notes on turn #{n}", "第 #{n} 回合点评"),
    "model_notes": ("Corrected in the model's reply #{n}", "第 #{n} 回合模型输出的修正"),
    "helped": ("helped", "加分"),
    "hurt": ("hurt", "扣分"),
    "comment_md": ("#### 💬 Comment", "#### 💬 点评"),
    "comment_on": ("On", "点评对象"),
    "overall_note": ("Overall note", "整体评语"),
    "comment": ("Comment", "点评内容"),
    "add_comment": ("Add comment", "添加点评"),
    "comment_saved": ("Comment saved.", "点评已保存。"),
    "override_md": (
        "#### ✏️ Override a score\nThe grader's score is kept and shown next to yours.",
        "#### ✏️ 修改评分\n系统原始评分会保留并与你的评分并列显示。",
    ),
    "new_score": ("New score (1–5)", "新分数(1–5)"),
    "reason_placeholder": ("What did the grader miss?", "系统评分遗漏了什么?"),
    "override": ("Save override", "保存改分"),
    "override_saved": ("Override saved; the total was recalculated.", "改分已保存,总分已重新计算。"),
    "export_html": ("⬇ Export HTML", "⬇ 导出 HTML"),
    "export_md": ("⬇ Export Markdown", "⬇ 导出 Markdown"),
    "regrade": ("Score it now", "立即评分"),
    "graded": ("Scored.", "评分完成。"),
    "report_file": ("Report", "报告"),
    "exported": ("Report ready: {name}", "报告已生成:{name}"),
    "import_title": ("Import a real chat log", "导入真实对话记录"),
    "import_help": (
        "A transcript JSON as in `drill schema transcript`: "
        '`{"language": "zh-CN", "turns": [{"role": "customer", "text": "…"}, {"role": "agent", "text": "…"}]}`. '
        "It is stored as a session and scored like a drill.",
        "格式同 `drill schema transcript` 的对话 JSON:"
        '`{"language": "zh-CN", "turns": [{"role": "customer", "text": "…"}, {"role": "agent", "text": "…"}]}`。'
        "导入后作为一条记录保存,并按对练同样的标准评分。",
    ),
    "transcript_file": ("Transcript file (.json)", "对话文件(.json)"),
    "or_paste_json": ("…or paste the JSON", "……或直接粘贴 JSON"),
    "import_owner": ("Trainee it belongs to (empty: you)", "所属学员(留空为你自己)"),
    "import_and_grade": ("Import and score", "导入并评分"),
    "imported": ("Imported and scored.", "已导入并评分。"),
    "import_nothing": ("Choose a file or paste a transcript first.", "请先选择文件或粘贴对话 JSON。"),
    "import_masked": (
        "{count} personal value(s) (phone numbers, e-mails, addresses, ID or card numbers) were masked on import.",
        "导入时已遮盖 {count} 处个人信息（电话、邮箱、地址、证件号或卡号）。",
    ),
    "delete_import": ("Delete this imported log", "删除这条导入的记录"),
    "import_deleted": ("The imported log and its report were deleted.", "导入的记录及其评分报告已删除。"),
    "report_title": ("Drill report", "对练报告"),
    "overall_notes": ("Mentor's notes", "带教老师评语"),
    "transcript": ("Transcript", "对话记录"),
    "speaker_agent": ("Agent", "客服"),
    "speaker_customer": ("Customer", "客户"),
    "speaker_system": ("System", "系统"),
    # -- trainer ------------------------------------------------------------------------------------
    "personas": ("Personas", "客户画像"),
    "cases": ("Cases", "案例库"),
    "editor": ("Add or edit", "新增/编辑"),
    "details_of": ("Details of", "查看详情"),
    "library_summary": (
        "{personas} personas and {cases} cases loaded.",
        "已加载 {personas} 个客户画像、{cases} 个案例。",
    ),
    "content_problems": (
        "{count} problem(s) in the content files; the items concerned are left out until fixed:",
        "内容文件中有 {count} 个问题,相关条目修复前不会出现:",
    ),
    "editor_help": (
        "Start from an existing persona or case, or upload a YAML file; edit, **Validate**, then **Save**. "
        "Nothing is written until the file is valid. Saved files go to the writable content directory "
        "(`DRILL_CONTENT_DIR`, by default `<data dir>/content`), replace a shipped file with the same id, and "
        "appear in the Practice tab right away.",
        "可从已有客户画像或案例开始,也可上传 YAML 文件;编辑后先**校验**,再**保存**。"
        "文件无误前不会写入。保存的文件写入可写内容目录(`DRILL_CONTENT_DIR`,默认 `<数据目录>/content`),"
        "同一 id 的内置文件以它为准,并立即出现在“练习”页。",
    ),
    "kind": ("Kind", "类型"),
    "kind.persona": ("Persona", "客户画像"),
    "kind.case": ("Case", "案例"),
    "start_from": ("Start from", "以此为模板"),
    "load": ("Load", "载入"),
    "upload_yaml": ("⬆ Upload YAML", "⬆ 上传 YAML"),
    "file_name": ("File name", "文件名"),
    "validate": ("✔ Validate", "✔ 校验"),
    "replace_existing": ("Replace the existing file", "覆盖同名文件"),
    "save": ("💾 Save", "💾 保存"),
    "yaml_valid": ("Valid. Ready to save.", "校验通过,可以保存。"),
    "yaml_problems": ("{count} problem(s) — nothing was saved:", "发现 {count} 个问题,未保存:"),
    "line_col": ("line {line}, col {col}", "第 {line} 行第 {col} 列"),
    "warning": ("warning", "提示"),
    "will_replace": (
        "Saving will replace `{name}` (tick “Replace the existing file”).",
        "保存将覆盖 `{name}`(请勾选“覆盖同名文件”)。",
    ),
    "saved": ("Saved `{path}` (id `{id}`).", "已保存 `{path}`(id `{id}`)。"),
    "index_synced": ("Case index updated: {summary}.", "案例索引已更新:{summary}。"),
    "index_failed": (
        "The case index could not be updated ({detail}); the file is saved and the index will catch up at the "
        "next `drill index sync`.",
        "案例索引更新失败({detail});文件已保存,下次 `drill index sync` 时会补上。",
    ),
    "template_loaded": (
        "Loaded `{name}`. Change the id and the file name before saving as a new item.",
        "已载入 `{name}`。另存为新条目前请修改 id 和文件名。",
    ),
    "uploaded": ("Uploaded `{name}`. Validate it before saving.", "已上传 `{name}`,保存前请先校验。"),
    "preview": ("Preview conversation (offline engine)", "预览对话(离线引擎)"),
    "preview_help": (
        "Try the text in the editor before saving: pair a persona with a case (or a case with a persona) and talk.",
        "保存前试用编辑器中的内容:为客户画像配一个案例(或为案例配一个客户画像),然后对话。",
    ),
    "preview_partner": ("Play it with", "搭配"),
    "preview_placeholder": (
        "Choose what to play it with; the customer's opening line appears here.",
        "选择搭配对象后,客户的开场白会显示在这里。",
    ),
    "restart": ("Restart", "重新开始"),
    "starting_mood": ("Starting mood", "初始情绪"),
    "patience_turns": ("Patience (turns)", "耐心(回合)"),
    "angered_by": ("Angered by", "容易被激怒"),
    "calmed_by": ("Calmed by", "容易被安抚"),
    "mood_reactions": ("Mood reactions", "情绪反应"),
    "behaviours": ("Behaviours", "行为特点"),
    "tone": ("Tone", "语气"),
    "sample_lines": ("Sample lines", "典型说法"),
    "satisfied_when": ("Satisfied when", "满意条件"),
    "situation": ("Customer's situation (hidden from trainees)", "客户处境(学员不可见)"),
    "opening_line": ("Opening line", "开场白"),
    "customer_wants": ("What the customer wants (their words)", "客户诉求（客户原话）"),
    "hidden_facts": ("Hidden facts (revealed when asked)", "隐藏信息(被问到才说)"),
    "optional": ("optional", "可选"),
    "resolutions": ("Resolutions", "解决方案"),
    "policy": ("May offer", "可提供"),
    "must_not_promise": ("Must not promise", "不得承诺"),
    "expected_steps": ("Expected steps", "标准步骤"),
    "recommended_phrasing": ("Recommended phrasing", "推荐话术"),
    "forbidden_phrasing": ("Forbidden phrasing", "禁用话术"),
    # -- errors ------------------------------------------------------------------------------------
    "unexpected_error": ("Something went wrong; nothing you typed was lost.", "出错了;你输入的内容没有丢失。"),
    "no_matching_case": (
        "No scenario matches these filters. Loosen a filter and draw again.",
        "没有符合筛选条件的场景,请放宽条件后重新抽取。",
    ),
    "choose_persona_and_case": (
        "Choose a customer and a scenario first (or draw a card).",
        "请先选择客户和场景(或随机抽题)。",
    ),
    "unknown_persona": ("There is no customer '{id}' in the library any more.", "内容库中已没有客户画像 '{id}'。"),
    "unknown_case": ("There is no scenario '{id}' in the library.", "内容库中没有场景 '{id}'。"),
    "unknown_item": ("There is no {kind} '{id}' in the library.", "内容库中没有 {kind} '{id}'。"),
    "persona_language": (
        "Customer '{persona}' does not speak {language}; pick another customer or scenario.",
        "客户画像 '{persona}' 不会说 {language},请换一个客户或场景。",
    ),
    "message_empty": (
        "The message is empty: type what you would say to the customer.",
        "消息为空:请输入你要对客户说的话。",
    ),
    "message_too_long": (
        "The message is {length} characters; the limit is {limit}. Shorten it or split it into several turns "
        "(your text is still in the box).",
        "消息共 {length} 个字符,上限为 {limit}。请精简或分几次发送(内容仍保留在输入框中)。",
    ),
    "no_open_session": ("Start a drill first.", "请先开始对练。"),
    "reply_in_progress": ("Wait for the customer's reply before sending again.", "请等客户回复后再发送。"),
    "retry_first": (
        "Your previous message has no reply yet: press Retry first (your new text is still in the box).",
        "上一条消息还没有收到回复:请先点击“重新获取回复”(新输入的内容仍保留在输入框中)。",
    ),
    "nothing_to_retry": ("There is no unanswered message to retry.", "没有需要重新获取回复的消息。"),
    "drill_too_long": (
        "This drill has reached its limit of {limit} turns (set {env} to change it). Press “End and score” to "
        "see your scorecard.",
        "本次对练已达到 {limit} 轮的上限(可通过 {env} 调整)。请点击“结束并评分”查看评分卡。",
    ),
    "reply_stopped": (
        "You stopped the customer's reply. Your message is saved — press Retry to ask again.",
        "你已停止客户的回复。你的消息已保存——点击“重新获取回复”可再次获取。",
    ),
    "nothing_to_stop": ("No customer reply is being written right now.", "当前没有正在生成的客户回复。"),
    "customer_already_left": (
        "The customer has ended the conversation. Press “End and score” to see your scorecard.",
        "客户已结束对话,请点击“结束并评分”查看评分卡。",
    ),
    "customer_unavailable": (
        "The simulated customer could not answer. Your message is saved — press Retry; if this keeps happening, "
        "check the LLM endpoint settings. Details: {detail}",
        "模拟客户暂时无法回复。你的消息已保存——请点击“重新获取回复”;如果反复出现,请检查大模型接口配置。详情:{detail}",
    ),
    "nothing_to_grade": ("Say something to the customer before ending the drill.", "请先与客户对话,再结束对练。"),
    "not_graded_yet": ("This session has not been scored yet.", "该记录尚未评分。"),
    "grading_failed": (
        "Scoring failed ({detail}). The session is saved: press “End and score” (or “Score it now” in Mentor review) "
        "to try again.",
        "评分失败({detail})。记录已保存:可再次点击“结束并评分”(或在带教复盘中点击“立即评分”)重试。",
    ),
    "grading_in_progress": (
        "This session is being scored right now; its scorecard appears when that is done. Try again in a moment.",
        "该记录正在评分中,完成后即可看到评分卡,请稍后再试。",
    ),
    "grading_failed_note": (
        "Not scored yet: the last scoring attempt failed ({detail}). Press “Score it now” to try again.",
        "尚未评分:上一次评分失败({detail})。点击“立即评分”可重试。",
    ),
    "drill_not_open": (
        "This drill has ended. Start a new one or press “Try again”.",
        "该对练已结束,请开始新的对练或点击“再练一次”。",
    ),
    "session_still_open": (
        "This drill is still in progress; it is scored when the trainee ends it.",
        "该对练仍在进行中,学员结束后才会评分。",
    ),
    "no_session": ("No session '{id}' that you can open.", "没有你可查看的记录 '{id}'。"),
    "access_denied": ("This needs the {role} role; your roles: {roles}.", "此操作需要“{role}”角色;你的角色:{roles}。"),
    "not_signed_in": ("You are not signed in. Reload the page and sign in.", "尚未登录,请刷新页面后登录。"),
    "account_gone": (
        "The account '{name}' no longer exists. Ask an administrator.",
        "账号 '{name}' 已不存在,请联系管理员。",
    ),
    "comment_too_long": (
        "The comment is {length} characters; the limit is {limit} ({env}). Shorten it; your text is still in the box.",
        "评语共 {length} 个字符,上限为 {limit}({env})。请精简,原文仍保留在输入框中。",
    ),
    "reason_too_long": (
        "The reason is {length} characters; the limit is {limit} ({env}). Shorten it; your text is still in the box.",
        "理由共 {length} 个字符,上限为 {limit}({env})。请精简,原文仍保留在输入框中。",
    ),
    "import_owner_invalid": (
        "'{name}' is not an account name (letters, digits, '.', '_', '-', '@'; 2-64 characters).",
        "'{name}' 不是有效的账号名(字母、数字、'.'、'_'、'-'、'@',2-64 个字符)。",
    ),
    "import_owner_unknown": (
        "There is no account '{name}'; import the log for an existing trainee (`drill users list`).",
        "没有账号 '{name}';请把记录导入到已有学员名下(`drill users list`)。",
    ),
    "turn_conflict": (
        "This drill was continued somewhere else (another tab or window). Reload the page to carry on from "
        "what was saved.",
        "这场对练已在别处(另一个标签页或窗口)继续。请刷新页面,从已保存的位置接着练。",
    ),
    "accounts_unavailable": (
        "Access is denied until the accounts are back: {detail}. Ask an administrator.",
        "账号数据不可用,恢复之前拒绝访问:{detail}。请联系管理员。",
    ),
    "content_unavailable": (
        "The content library cannot be used: no rubric at {path}. Run `drill validate`.",
        "内容库不可用:{path} 缺少评分标准。请运行 `drill validate`。",
    ),
    "bad_date": (
        "'{value}' is not a date; use YYYY-MM-DD, e.g. 2026-03-01.",
        "'{value}' 不是有效日期,请使用 YYYY-MM-DD 格式,例如 2026-03-01。",
    ),
    "bad_score_range": (
        "The minimum total ({low}) is above the maximum ({high}).",
        "最低总分({low})高于最高总分({high})。",
    ),
    "comment_empty": ("The comment is empty.", "点评内容为空。"),
    "no_such_turn": (
        "Turn {n} does not exist (this session has {count} turns).",
        "第 {n} 回合不存在(该记录共 {count} 个回合)。",
    ),
    "choose_criterion": ("Choose the criterion to override.", "请选择要修改的评分项。"),
    "bad_override_score": (
        "A score is a whole number from 1 to 5 (got {value}).",
        "分数须为 1 到 5 的整数(当前为 {value})。",
    ),
    "override_needs_reason": (
        "Give a reason: what did the grader miss? It is shown to the trainee.",
        "请填写理由:系统评分遗漏了什么?理由会展示给学员。",
    ),
    "override_failed": ("The override was not saved: {detail}", "改分未保存:{detail}"),
    "import_invalid": (
        "The transcript is not valid; nothing was imported:\n{detail}",
        "对话 JSON 有误,未导入:\n{detail}",
    ),
    "delete_not_import": (
        "Only an imported chat log can be deleted; a trainee's drill stays on record.",
        "只能删除导入的对话记录；学员的练习记录不能删除。",
    ),
    "import_no_agent": (
        "The transcript has no agent turns, so there is nothing to score.",
        "对话中没有客服发言,无法评分。",
    ),
    "bad_kind": (
        "Unknown content kind '{kind}'; use persona or case.",
        "未知内容类型 '{kind}',请使用 persona 或 case。",
    ),
    "fix_problems_first": (
        "Fix the {count} problem(s) shown first; nothing was saved.",
        "请先修复所列的 {count} 个问题;未保存。",
    ),
    "file_exists": (
        "`{name}` already exists. Tick “Replace the existing file” to overwrite it, or change the id and file name.",
        "`{name}` 已存在。勾选“覆盖同名文件”可覆盖,或修改 id 和文件名。",
    ),
    "choose_partner": ("Choose what to play it with first.", "请先选择搭配的客户画像或案例。"),
    "preview_failed": ("The preview could not start: {detail}", "预览无法开始:{detail}"),
    "choose_template": ("Choose an item to start from.", "请选择一个模板条目。"),
}


def _merge(extra: dict[str, tuple[str, str]]) -> None:
    clash = sorted(set(extra) & set(_STRINGS))
    if clash:
        raise ValueError(f"string keys defined twice: {', '.join(clash)}")
    _STRINGS.update(extra)


_merge(PROGRAMME_STRINGS)

#: Label kinds whose values are translated as ``"{kind}.{value}"`` keys.
LABEL_KINDS = (
    "category",
    "industry",
    "start",
    "gender",
    "relation",
    "difficulty",
    "language",
    "channel",
    "outcome",
    "status",
    "result",
    "role",
    "engine",
    "archetype",
    "kind",
)


def t(key: str, lang: str, **values: Any) -> str:
    """The string ``key`` in ``lang`` (English for unknown languages), formatted with ``values``.

    An unknown key is returned as is, so a missing translation shows up instead of crashing.
    """
    pair = _STRINGS.get(key)
    if pair is None:
        return key
    text = pair[1] if lang == "zh-CN" else pair[0]
    return text.format(**values) if values else text


def label(kind: str, value: str | None, lang: str) -> str:
    """Display name of a content value (``category``, ``difficulty``…); the value itself if unknown."""
    if value is None:
        return ""
    key = f"{kind}.{value}"
    return t(key, lang) if key in _STRINGS else value


def keys() -> list[str]:
    """Every translation key."""
    return list(_STRINGS)


def translations(lang: Language) -> dict[str, str]:
    """All strings of one language (for ``gr.I18n``)."""
    return {key: t(key, lang) for key in _STRINGS}


def gradio_i18n() -> Any:
    """A ``gr.I18n`` with every string; ``zh`` and ``zh-TW`` browsers get the Simplified text too."""
    import gradio as gr

    chinese = translations("zh-CN")
    return gr.I18n(en=translations("en"), **{"zh-CN": chinese, "zh-TW": chinese, "zh": chinese})


def language_from_header(accept_language: str | None) -> Language:
    """zh-CN when the browser's Accept-Language prefers Chinese over English, else en."""
    best: tuple[float, Language] | None = None
    for position, part in enumerate((accept_language or "").split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower()
        quality = 1.0
        for param in pieces[1:]:
            name, _, number = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(number)
                except ValueError:
                    quality = 0.0
        lang: Language | None = "zh-CN" if tag.startswith("zh") else "en" if tag.startswith("en") else None
        if lang is None:
            continue
        rank = quality - position * 1e-6  # earlier wins among equal qualities
        if best is None or rank > best[0]:
            best = (rank, lang)
    return best[1] if best else "en"


def resolve_language(choice: str | None, accept_language: str | None) -> Language:
    """The UI language: an explicit choice (zh-CN/en), else what the browser asks for."""
    if choice in LANGUAGES:
        return cast(Language, choice)
    return language_from_header(accept_language)


class AppError(DrillError):
    """An error with a message key, shown to the user in their language."""

    def __init__(self, key: str, **values: Any):
        self.key = key
        self.values = values
        super().__init__(t(key, "en", **values))

    def message(self, lang: str) -> str:
        """The message in ``lang``."""
        return t(self.key, lang, **self.values)
