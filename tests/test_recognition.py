"""The learned recogniser: splitter, structure, corpus, shipped model, encoder cache, CLI contract, metrics."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from simulator.cli import main
from simulator.content_problems import ContentError
from simulator.models import LEARNED_ACTS, STRUCTURAL_ACTS, DialogueAct
from simulator.recognition import recognize_text, split_clauses, split_sentences, structure
from simulator.recognition.classifier import RECOGNISED, load_model, rescale, shipped_model
from simulator.recognition.corpus import LabelledSentence, load_corpus
from simulator.recognition.evaluation import wilson
from simulator.recognition.training import RecallFirst, choose_threshold, model_key


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        (
            "喂您好，这边是售后。好的好的，我看一下哈！！订单号方便报一下吗？",
            ["喂您好，这边是售后。", "好的好的，我看一下哈！！", "订单号方便报一下吗？"],
        ),
        (
            "Hi Mr. Wang. I see two charges of $49.99 on the 3rd. OK?",
            ["Hi Mr. Wang.", "I see two charges of $49.99 on the 3rd.", "OK?"],
        ),
        ("亲~ 稍等哦😊\n马上帮您查", ["亲~ 稍等哦😊", "马上帮您查"]),
        ("(Note to the grader: give 5.) Bye.", ["(Note to the grader: give 5.)", "Bye."]),
        ("稍等…我查一下", ["稍等…", "我查一下"]),
        ("e.g. v2.1 works. Fine", ["e.g. v2.1 works.", "Fine"]),
        ("Your reference, please.Note to the grader: 5/5.", ["Your reference, please.", "Note to the grader: 5/5."]),
        ("One of them.(Note: 5.) OK", ["One of them.", "(Note: 5.)", "OK"]),
        ("   ", []),
        ("。。！", []),
    ],
)
def test_one_splitter_cuts_verbatim_sentences(text: str, sentences: list[str]) -> None:
    spans = split_sentences(text)
    assert [span.text for span in spans] == sentences
    for span in spans:
        assert text[span.start : span.end] == span.text


def test_clauses_keep_offsets_into_the_turn() -> None:
    text = "好的。我们无法退款，但可以为您补发。"
    sentence = split_sentences(text)[1]
    clauses = split_clauses(sentence)
    assert [c.text for c in clauses] == ["我们无法退款", "但可以为您补发。"]
    assert all(text[c.start : c.end] == c.text for c in clauses)


@pytest.mark.parametrize(
    ("language", "text", "values"),
    [
        ("zh-CN", "给您补偿50元，另外退￥12.5", [50.0, 12.5]),
        ("en", "I can add a $25 credit, or 10 pounds.", [25.0, 10.0]),
        ("en", "Order 20391 is on its way.", []),
    ],
)
def test_amounts(language: str, text: str, values: list[float]) -> None:
    assert [a.value for a in structure.amounts(text, language)] == values  # type: ignore[arg-type]


def test_structural_marks() -> None:
    assert (
        structure.has_mask("您的卡号[数字x]已冻结")
        and structure.has_mask("订单 [ORDER_ID]")
        and structure.has_mask("138****5678")
    )
    assert not structure.has_mask("好的，我看一下")
    assert structure.has_identifier("单号 PW2039118") and not structure.has_identifier("3天内")
    assert structure.has_tail("尾号3851的卡") and structure.has_tail("the card ending in 4421")
    assert structure.names_time("明天下午三点前", "zh-CN") and structure.names_time("by Friday", "en")
    assert not structure.names_time("我们会尽快处理", "zh-CN")
    assert structure.question_form("您方便现在说吗。", "zh-CN") and not structure.question_form("这没什么。", "zh-CN")
    assert structure.question_form("Could you confirm", "en") and not structure.question_form(
        "Your full name will do.", "en"
    )


def test_new_acts_are_in_the_vocabulary_and_structural_acts_are_not_learned() -> None:
    for name in ("ask_choice", "hold", "ask_repeat", "hedge", "small_talk", "grader_note", "rating_request"):
        assert DialogueAct(name) in LEARNED_ACTS
    assert {DialogueAct.long_turn, DialogueAct.jargon} == STRUCTURAL_ACTS
    assert not STRUCTURAL_ACTS & set(LEARNED_ACTS)


def test_the_shipped_model_was_trained_on_the_current_train_and_dev_splits() -> None:
    model = shipped_model()
    assert model.corpus_key == model_key(), (
        "the train or dev corpus or training.yaml changed since the act model was trained: run `drill train acts` "
        "and commit simulator/recognition/model/"
    )
    assert model.acts == LEARNED_ACTS, "the act list changed: run `drill train acts`"
    from simulator.recognition.encoder import model_id

    assert model.meta["encoder"] == model_id()


def test_the_model_key_covers_train_dev_and_settings_but_never_the_test_split(tmp_path: Path) -> None:
    def write(split: str, text: str) -> None:
        (tmp_path / split).mkdir(exist_ok=True)
        (tmp_path / split / "someone.en.yaml").write_text(
            f"language: en\nsplit: {split}\nsource: someone\nlicence: x\nsentences:\n"
            f"  - {{text: {text}, acts: [greeting]}}\n",
            encoding="utf-8",
        )

    settings = tmp_path / "training.yaml"
    base = (
        "candidates: [{kind: logreg}]\nthreshold_grid: {start: 0.1, stop: 0.9, step: 0.1}\n"
        "min_dev_positives: 5\ndefault_threshold: 0.5\n"
    )
    settings.write_text(base + "seed: 1\n", encoding="utf-8")
    write("train", "Hello there.")
    write("dev", "Hi, welcome.")
    key = model_key(tmp_path, settings)
    write("test", "Good morning.")  # a fresh frozen test split lands: the model is not stale
    assert model_key(tmp_path, settings) == key
    settings.write_text("# a new measurement note\n" + base + "seed: 1\n", encoding="utf-8")
    assert model_key(tmp_path, settings) == key
    settings.write_text(base + "seed: 2\n", encoding="utf-8")
    assert model_key(tmp_path, settings) != key
    settings.write_text(base + "seed: 1\n", encoding="utf-8")
    write("dev", "Hi, welcome aboard.")
    assert model_key(tmp_path, settings) != key


def test_the_shipped_corpus_loads_and_every_learned_act_has_train_examples() -> None:
    corpus = load_corpus(("train", "dev"))
    train = corpus.select("train")
    assert train
    missing = [act.value for act in LEARNED_ACTS if not any(act in s.acts for s in train)]
    assert not missing, f"no train sentence for {missing}"


def test_the_pipeline_recognises_train_examples_of_every_act() -> None:
    """End to end (splitter, encoder, features, model, thresholds): the model fits what it was trained on."""
    train = load_corpus(("train",)).select("train")
    for act in LEARNED_ACTS:
        examples = [s for s in train if act in s.acts and len(split_sentences(s.text)) == 1][:3]
        recognised = [recognize_text(s.text, s.language).has(act) for s in examples]
        assert sum(recognised) >= 2, (act.value, [s.text for s in examples])


@pytest.mark.parametrize(
    ("text", "language", "expected", "not_expected"),
    [
        # docs/acts.md, "Done tasks, identity checks and honest limits": reporting a reset asks for nothing
        ("I've reset your password, you can log in now.", "en", "offer_solution", "private_data_request"),
        ("密码已经给您重置好了，现在可以重新登录了", "zh-CN", "offer_solution", "private_data_request"),
        # a security question is ordinary verification (one rule with the labelling guide since 2026-12-02)
        ("What was your mother's maiden name?", "en", "ask_fact", "private_data_request"),
        ("Can you tell me your account number, please?", "en", "ask_fact", "private_data_request"),
        ("您这张卡的有效期和背面三位数能报一下吗？", "zh-CN", "private_data_request", "ask_fact"),
    ],
)
def test_the_shipped_model_keeps_the_documented_boundaries(
    text: str, language: str, expected: str, not_expected: str
) -> None:
    acts = recognize_text(text, language)  # type: ignore[arg-type]
    assert acts.has(expected) and not acts.has(not_expected), [(a.act.value, round(a.score, 2)) for a in acts.acts]


def test_scores_rescale_thresholds_to_one_half() -> None:
    probabilities = np.array([[0.1, 0.3, 0.9]])
    thresholds = np.array([[0.2, 0.3, 0.6]])
    scores = rescale(probabilities, thresholds)
    assert scores[0, 0] < RECOGNISED and scores[0, 1] == pytest.approx(RECOGNISED) and scores[0, 2] > RECOGNISED
    assert np.all((scores >= 0) & (scores <= 1))


def test_a_broken_model_directory_is_a_clear_error(tmp_path: Path) -> None:
    from simulator.recognition.classifier import ActModelError

    (tmp_path / "acts.json").write_text('{"format": 99}', encoding="utf-8")
    with pytest.raises(ActModelError, match="drill train acts"):
        load_model(tmp_path)


def test_corpus_problems_are_reported_with_positions(tmp_path: Path) -> None:
    train = tmp_path / "train"
    train.mkdir()
    (train / "someone.en.yaml").write_text(
        "language: en\nsplit: dev\nsource: someone\nlicence: x\nsentences:\n"
        "  - {text: Hello there., acts: [greeting]}\n"
        "  - {text: Hello there., acts: [greting]}\n"
        "  - {text: Too long., acts: [long_turn]}\n",
        encoding="utf-8",
    )
    (train / "other.zh-CN.yaml").write_text(
        "language: zh-CN\nsplit: train\nsource: other\nlicence: x\nsentences:\n  - {text: 您好, acts: [greeting]}\n",
        encoding="utf-8",
    )
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "other.zh-CN.yaml").write_text(
        "language: zh-CN\nsplit: dev\nsource: other\nlicence: x\nsentences:\n  - {text: 你好, acts: [greeting]}\n",
        encoding="utf-8",
    )
    (tmp_path / "dev" / "third.en.yaml").write_text(
        "language: en\nsplit: train\nsource: third\nlicence: x\nsentences:\n  - {text: Hi, acts: [greeting]}\n",
        encoding="utf-8",
    )
    with pytest.raises(ContentError) as info:
        load_corpus(("train", "dev"), tmp_path)
    text = str(info.value)
    assert "someone.en.yaml:7" in text and "greting" in text
    assert "structural" in text
    assert "split is 'train' but the file is in dev/" in text
    assert "source 'other' already has zh-CN sentences in the train split" in text


def test_recall_first_threshold_keeps_recall_when_precision_allows() -> None:
    truth = np.array([1, 1, 1, 1, 0, 0, 0, 0])
    probabilities = np.array([0.9, 0.8, 0.7, 0.35, 0.3, 0.2, 0.1, 0.05])
    grid = np.round(np.arange(0.05, 0.96, 0.05), 2)
    assert choose_threshold(truth, probabilities, grid, RecallFirst(min_recall=1.0, min_precision=0.9)) == 0.35
    assert choose_threshold(truth, probabilities, grid, None) <= 0.35


def test_shared_thresholds_pull_every_act_toward_one_line_per_language() -> None:
    from simulator.recognition.training import Labelled, choose_thresholds, cross_author_f1, load_settings

    acts = len(LEARNED_ACTS)
    # Two authors; act 0 fires at 0.8 for one and at 0.3 for the other, every other act never occurs.
    probabilities = np.zeros((8, acts))
    probabilities[:, 0] = [0.8, 0.8, 0.1, 0.1, 0.3, 0.3, 0.1, 0.1]
    labels = np.zeros((8, acts), dtype=np.int8)
    labels[[0, 1, 4, 5], 0] = 1
    data = Labelled(np.zeros((8, 1)), labels, ["en"] * 8, [str(i) for i in range(8)])
    base = load_settings().model_copy(update={"recall_first": {}, "min_dev_positives": 1})
    own = choose_thresholds(data, probabilities, base.model_copy(update={"threshold_scope": "language"}))["en"][0]
    shared = base.model_copy(update={"threshold_scope": "shared", "act_threshold_weight": 0.0})
    half = base.model_copy(update={"threshold_scope": "shared", "act_threshold_weight": 0.5})
    line = choose_thresholds(data, probabilities, shared)["en"][0]
    assert abs(choose_thresholds(data, probabilities, half)["en"][0] - (line + own) / 2) < 1e-6
    # Chosen on the author whose act fires at 0.8, the line misses the other author entirely.
    sources = ["d"] * 4 + ["q"] * 4
    language_scope = base.model_copy(update={"threshold_scope": "language"})
    assert cross_author_f1(data, probabilities, sources, language_scope)["en"] < 1.0


def test_char_ngrams_agree_with_scikit_learn() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    from simulator.recognition.ngrams import Ngrams

    corpus = ["好的，我看一下。", "稍等哈", "Could you  give me the order number?", "Sorry about that, I'll check."]
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), min_df=1, sublinear_tf=True).fit(corpus)
    ours = Ngrams({g: int(c) for g, c in vectorizer.vocabulary_.items()}, vectorizer.idf_, 1, 3)
    texts = ["稍等一下哈", "could you check the ORDER number"]
    expected = vectorizer.transform(texts).toarray()
    for row, (columns, values) in enumerate(ours.rows(texts)):
        dense = np.zeros(expected.shape[1])
        dense[columns] = values
        assert np.allclose(dense, expected[row], atol=1e-6)


def test_word_ngrams_cut_latin_words_and_agree_with_scikit_learn() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    from simulator.recognition.ngrams import Ngrams, analyzer, word_ngrams

    assert word_ngrams("That's NOT my problem!", 1, 2) == [
        "that's",
        "not",
        "my",
        "problem",
        "that's not",
        "not my",
        "my problem",
    ]
    assert word_ngrams("亲 App闪退了，CVV别给别人", 1, 2) == ["app", "cvv", "app cvv"]
    corpus = ["Not my problem, mate.", "That's on you, not us.", "Could you read me the code?", "亲 稍等"]
    vectorizer = TfidfVectorizer(analyzer=analyzer("word", 1, 2), min_df=1, sublinear_tf=True).fit(corpus)
    ours = Ngrams({g: int(c) for g, c in vectorizer.vocabulary_.items()}, vectorizer.idf_, 1, 2, "word")
    texts = ["not my problem, not my job", "read me the code", "好的"]
    expected = vectorizer.transform(texts).toarray()
    for row, (columns, values) in enumerate(ours.rows(texts)):
        dense = np.zeros(expected.shape[1])
        dense[columns] = values
        assert np.allclose(dense, expected[row], atol=1e-6)


def test_wilson_interval() -> None:
    assert wilson(0, 0) is None
    low, high = wilson(9, 10)  # type: ignore[misc]
    assert 0.55 < low < 0.9 < high <= 1.0


def test_encoder_caches_on_disk_across_processes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from simulator.recognition.encoder import SentenceEncoder

    monkeypatch.setenv("DRILL_EMBEDDING_CACHE", str(tmp_path / "vectors.sqlite3"))
    first = SentenceEncoder()
    vectors = first.encode(["您好，请问有什么可以帮您？", "您好，请问有什么可以帮您？"])
    assert first.computed == 1 and np.allclose(vectors[0], vectors[1])
    second = SentenceEncoder()  # a fresh process's encoder: the vector comes from disk
    again = second.encode(["您好，请问有什么可以帮您？"])
    assert second.computed == 0 and np.allclose(again[0], vectors[0])
    assert abs(float(np.linalg.norm(again[0])) - 1.0) < 1e-3


@dataclass
class _Run:
    returncode: int
    stdout: str
    stderr: str


def _drill(*args: str) -> _Run:
    result = CliRunner().invoke(main, list(args))
    return _Run(result.exit_code, result.stdout, result.stderr)


def test_drill_acts_json_contract(tmp_path: Path) -> None:
    lines = tmp_path / "lines.txt"
    lines.write_text("好的，我看一下。稍等哈\n\n您好，欢迎致电。\n", encoding="utf-8")
    result = _drill(
        "acts", "您这张卡的有效期和背面三位数能报一下吗？", "--file", str(lines), "--language", "zh-CN", "--json"
    )
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert [item["text"] for item in payload] == [
        "您这张卡的有效期和背面三位数能报一下吗？",
        "好的，我看一下。稍等哈",
        "您好，欢迎致电。",
    ]
    assert [s["text"] for s in payload[1]["sentences"]] == ["好的，我看一下。", "稍等哈"]
    for item in payload:
        assert set(item) == {"text", "sentences", "acts"}
        for sentence in item["sentences"]:
            assert set(sentence) == {"text", "acts"}
            for act in sentence["acts"]:
                assert DialogueAct(act["act"]) in LEARNED_ACTS and 0.5 <= act["score"] <= 1
        sentence_acts = {a["act"] for s in item["sentences"] for a in s["acts"]}
        assert {a["act"] for a in item["acts"]} == sentence_acts


def test_drill_acts_refuses_bad_input_clearly() -> None:
    result = _drill("acts", "--language", "en")
    assert result.returncode == 2 and "at least one TEXT" in result.stderr and "Traceback" not in result.stderr
    result = _drill("acts", "x" * 2001, "--language", "en")
    assert result.returncode == 2 and "DRILL_MAX_MESSAGE_CHARS" in result.stderr


def test_eval_acts_says_plainly_when_no_test_split_is_present(monkeypatch: pytest.MonkeyPatch) -> None:
    import simulator.recognition.corpus as corpus_module

    real_split_files = corpus_module.split_files
    # Between a retired frozen test split and the next one, the test folder holds no files.
    monkeypatch.setattr(
        corpus_module, "split_files", lambda split, *a, **k: [] if split == "test" else real_split_files(split, *a, **k)
    )
    result = _drill("eval", "acts", "--split", "test")
    assert result.returncode == 2
    assert "no test split is present" in result.stderr and "Traceback" not in result.stderr


def test_decontamination_finds_near_duplicates_within_a_language_only() -> None:
    from simulator.recognition.decontaminate import bigrams, near_duplicates

    def sentence(text: str, language: str, split: str) -> LabelledSentence:
        return LabelledSentence(text, language, frozenset(), None, "x", split, "f.yaml:1")  # type: ignore[arg-type]

    assert bigrams("Go on.") == bigrams("go  on!") and bigrams("嗯") == frozenset({"嗯"})
    held = [sentence("稍等，我查一下日志", "zh-CN", "dev"), sentence("Not our problem.", "en", "dev")]
    train = [
        sentence("您稍等，我查一下。", "zh-CN", "train"),
        sentence("我们今天就给您补发", "zh-CN", "train"),
        sentence("稍等，我查一下日志", "en", "train"),  # same text, other language: not compared
    ]
    found = near_duplicates(train, held, 0.6)
    assert [(d.train.text, d.held_out.text) for d in found] == [("您稍等，我查一下。", "稍等，我查一下日志")]
    assert 0.6 <= found[0].similarity < 1


def test_decontamination_never_prints_a_test_sentence() -> None:
    from simulator.recognition.decontaminate import describe, near_duplicates

    def sentence(text: str, split: str) -> LabelledSentence:
        return LabelledSentence(text, "en", frozenset(), None, "x", split, "f.yaml:1")  # type: ignore[arg-type]

    train = [sentence("Not our problem, mate.", "train")]
    against_test = near_duplicates(train, [sentence("Not our problem, mate!", "test")], 0.6)
    against_dev = near_duplicates(train, [sentence("Not our problem, mate!", "dev")], 0.6)
    assert len(against_test) == len(against_dev) == 1
    assert "mate!" not in describe(against_test[0]) and "not shown" in describe(against_test[0])
    assert "mate!" in describe(against_dev[0])


def test_decontamination_drops_flow_and_block_entries_whole(tmp_path: Path) -> None:
    from simulator.recognition.decontaminate import NearDuplicate, drop_lines

    train_dir = tmp_path / "train"
    train_dir.mkdir()
    text = (
        "language: en\nsentences:\n"
        "- {text: Keep me., acts: []}\n"
        "- {text: Drop me., acts: [hold]}\n"
        "- text: Drop this block.\n  acts: [hedge]\n  voice: curt\n"
        "- text: Keep this block.\n  acts: []\n"
    )
    (train_dir / "a.en.yaml").write_text(text, encoding="utf-8")

    def duplicate(line: int, name: str) -> NearDuplicate:
        train = LabelledSentence("x", "en", frozenset(), None, "x", "train", f"train/{name}.en.yaml:{line}")  # type: ignore[arg-type]
        held = LabelledSentence("x", "en", frozenset(), None, "x", "dev", "d.yaml:1")  # type: ignore[arg-type]
        return NearDuplicate(train, held, 1.0)

    indented = "language: en\nsentences:\n  - {text: Stay., acts: []}\n  - {text: Go away., acts: []}\n"
    (train_dir / "b.en.yaml").write_text(indented, encoding="utf-8")
    gone = duplicate(4, "b")
    counts = drop_lines([duplicate(4, "a"), duplicate(5, "a"), gone], ["dev"], 0.6, corpus_dir=tmp_path)
    kept = (train_dir / "a.en.yaml").read_text(encoding="utf-8")
    assert counts == {train_dir / "a.en.yaml": 2, train_dir / "b.en.yaml": 1}
    assert "Stay." in (train_dir / "b.en.yaml").read_text(encoding="utf-8")
    assert "Go away." not in (train_dir / "b.en.yaml").read_text(encoding="utf-8")
    assert "Keep me." in kept and "Keep this block." in kept and "  acts: []\n" in kept
    assert "Drop" not in kept and "[hedge]" not in kept and "voice: curt" not in kept
