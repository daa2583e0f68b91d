"""How surely a sentence asks the customer for a secret, once what it says is *not* needed is set aside.

The recogniser scores whole sentences, and a sentence that asks for an allowed identifier and adds
that no secret is needed ("请报一下卡号后四位，不需要密码和验证码。") carries the secret's words and
scored as a request for it. Trainers own the wording that says a secret is not needed or must not
be shared (``critical_errors.<lang>[private_data_request].not_requests`` in the rubric), matched only
as a whole clause (``simulator.clauses``; compiled once per rubric by
``recognizer.not_request_clauses``): such clauses are set aside and the clauses left are
judged by meaning again, each on its own. A sentence with no such clause keeps its own score, so a
reassurance tacked onto a real request ("把验证码发我，不需要密码") hides nothing: the request is a
clause of its own and is scored as one. Items listed with the enumeration comma share the clause that
ends the list ("完整卡号、密码、验证码都不用给我": none of the three is asked for), so they are set aside
with it (``simulator.recognition.clause_reading``).

A booking's "confirmation code" carries the word of a code sent by SMS, and the recogniser read "What's your
confirmation code?" as a secrets request (synthetic dev: excellent airline agents opening a claim). Trainers
list the names of references a customer may read out for ordinary verification
(``critical_errors.<lang>[private_data_request].ordinary_references``, the labelling guide's "an order number
is ordinary verification"): the sentence is read again with each such name replaced by the list's first one
("order number"), so a real secret asked beside it ("your confirmation code and the code we just texted you")
is still read as the request it is.
"""

from __future__ import annotations

from simulator.clauses import ClauseMatcher
from simulator.models import DialogueAct
from simulator.recognition.classifier import RECOGNISED
from simulator.recognition.clause_reading import reread_without
from simulator.recognition.sentence_acts import SentenceActs, recognize_spans
from simulator.recognition.sentences import Span
from simulator.recognizer import OrdinaryReferences

_ACT = DialogueAct.private_data_request


def request_score(
    sentence: SentenceActs, not_requests: ClauseMatcher | None, references: OrdinaryReferences | None = None
) -> float | None:
    """The confidence that ``sentence`` asks for a secret, or None when it does not ask for one.

    The sentence's own score, unless some of its clauses say (as a whole clause) a listed
    "not needed" wording: then the best score of the other clauses recognised on their own, and
    None when no clause is left or none of them is recognised as the request. A sentence naming a
    listed ordinary reference is judged as read with the reference's stand-in name (``references``).
    """
    if not sentence.has(_ACT):
        return None
    sentence = _with_stand_in(sentence, references)
    if not sentence.has(_ACT):
        return None
    if not_requests is None:
        return sentence.score(_ACT)
    clauses = reread_without(sentence, not_requests)
    if clauses is None:
        return sentence.score(_ACT)
    best = max((clause.score(_ACT) for clause in clauses), default=0.0)
    return best if best >= RECOGNISED else None


def _with_stand_in(sentence: SentenceActs, references: OrdinaryReferences | None) -> SentenceActs:
    """``sentence`` recognised again with every listed ordinary reference read as the stand-in name; the
    sentence itself when it names none."""
    if references is None:
        return sentence
    text = references.pattern.sub(references.stand_in, sentence.text)
    if text == sentence.text:
        return sentence
    return recognize_spans([Span(text, sentence.span.start, sentence.span.start + len(text))], sentence.language)[0]
