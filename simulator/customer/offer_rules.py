"""What the customer does with the offers of a turn: which it hears, takes up, asks about or turns down.

Offers are matched to the case's resolutions by meaning (``recognition.offer_match``) and by the
resolutions' keyword hints; choices are answered by closeness to what the customer wants; a persona
that ``asks_for_compensation`` raises it after accepting another remedy (see ``state_machine``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.customer.memory import CustomerMemory
from simulator.customer.rule_numbers import RuleNumbers, rule_numbers
from simulator.customer.state import Move
from simulator.customer.wording import choice_options, word_list
from simulator.lexicon import compiled_lexicon, keyword_pattern
from simulator.models import Behaviour, Case, DialogueAct, Language, Persona, Resolution
from simulator.recognition import structure
from simulator.recognition.encoder import sentence_encoder
from simulator.recognition.offer_match import match_offers
from simulator.recognition.sentence_acts import SentenceActs
from simulator.recognition.sentences import sentence_texts
from simulator.recognizer import RecognizedTurn

# Sentences that may carry an offer: offering and promising, and also reporting what was just done
# ("I've booked Friday the 13th, 8 to 12"), explaining what applies ("your taxis are covered in
# full") and asking to pick a remedy; and sentences with no recognised act at all. Which of the
# case's resolutions they carry, if any, is the matcher's call.
_OFFERING = (
    DialogueAct.offer_solution,
    DialogueAct.promise,
    DialogueAct.give_proof,
    DialogueAct.explain_policy,
    DialogueAct.ask_choice,
)


@dataclass(frozen=True)
class TurnOffers:
    """The case's resolutions a turn offered: acceptable and refused ids, and the sentence that offered each."""

    acceptable: tuple[str, ...]
    refused: tuple[str, ...]
    sentences: dict[str, str]


def bare_fragment(sentence: str, language: Language) -> bool:
    """Whether ``sentence`` is only bare terms ("400元。", "add flat 4.", a keyword list): no offer by itself.

    The shape of a term is ``customer/rules.yaml``'s (``wording.word_list`` with one part or more).
    """
    numbers = rule_numbers()
    return word_list(
        sentence, language, min_parts=1, term_words=numbers.bare_term_words, term_hanzi=numbers.bare_term_hanzi
    )


def heard_as_possible_offer(sentence: SentenceActs, language: Language) -> bool:
    """Whether a sentence the act classifier gave no act goes to the offer matcher all the same.

    The matcher was fitted on sentences of every kind, and "我现在为您发起差错交易调查" offers whatever
    the classifier missed. Not a bare fragment ("400元。", "add flat 4."): its words are all in the
    resolution's description, so the overlap says "match" about a value that offers nothing. Not a
    question: "So, what can I help you with today?" matched an escalation at 0.60, and a long-winded
    agent's opener was taken as a settlement. And only a sentence whose best reading, short of the line,
    is one of the acts that may carry an offer (``_OFFERING``): a sentence that leans to a hedge commits to
    nothing ("Before we start I'd like to say that we really value each and every one of our
    customers…" matched an account-recovery remedy at 0.68), and one that leans to thanks or a closing
    offers nothing ("Right, okay, I see, thank you for explaining all of that." shares a word with a
    remedy that "explains politely", and settled six drills in two turns).
    """
    if sentence.acts or sentence.is_question or bare_fragment(sentence.text, language):
        return False
    readings = [(act, score) for act, score in sentence.scores.items() if score > 0]
    leaning = max(readings, key=lambda item: item[1], default=None)
    return leaning is None or leaning[0] in _OFFERING


def wants_proof(persona: Persona) -> bool:
    """Whether the persona wants proof before it takes an offer (``demands_proof``)."""
    return Behaviour.demands_proof in persona.behaviours


class OfferRules:
    """The case's offers as one customer takes them: matching, taking up, choosing and the goals left."""

    def __init__(self, persona: Persona, case: Case, numbers: RuleNumbers):
        self.persona = persona
        self.case = case
        self.numbers = numbers
        #: The case's resolutions by id: those the customer would accept, and those it turns down.
        self.acceptable: dict[str, Resolution] = {r.id: r for r in case.acceptable_resolutions}
        self.refused: dict[str, Resolution] = {r.id: r for r in case.customer_refuses}
        compensation = compiled_lexicon(case.language).compensation
        self._compensation = tuple(
            r.id for r in case.acceptable_resolutions if compensation is not None and compensation.search(r.description)
        )
        # Embedded once per drill, so that no agent turn pays for them (cached across drills too).
        sentence_encoder().encode(
            [
                case.customer_wants,
                *(r.description.strip() for r in (*case.acceptable_resolutions, *case.customer_refuses)),
            ]
        )

    def offers(self, turn: RecognizedTurn) -> TurnOffers:
        """Acceptable and refused offers in the turn: by meaning in offering sentences, and by keyword hints."""
        lists = [s.text for s in turn.sentences if self.is_word_list(s.text)]
        acceptable = [key for key in turn.offered if self._hinted_outside(key, lists, turn.text)]
        refused = [key for key in turn.offered_unacceptable if self._hinted_outside(key, lists, turn.text)]
        sentences: dict[str, str] = {}
        offering = [
            s.text
            for s in turn.sentences
            if (any(s.has(act) for act in _OFFERING) or heard_as_possible_offer(s, self.case.language))
            and not s.has(DialogueAct.refusal)
            and s.text not in lists
        ]
        targets = [*self.acceptable.values(), *self.refused.values()]
        for match in match_offers(offering, targets):
            sentences.setdefault(match.resolution_id, match.sentence)
            bucket = acceptable if match.resolution_id in self.acceptable else refused
            if match.resolution_id not in bucket:
                bucket.append(match.resolution_id)
        for key in (*acceptable, *refused):
            if key not in sentences:
                sentences[key] = next((s for s in offering if s), turn.text)
        # Offered both ways in one breath ("退款可以，或者您再等等"): the acceptable one counts.
        refused = [key for key in refused if key not in acceptable]
        return TurnOffers(tuple(acceptable), tuple(refused), sentences)

    def is_word_list(self, sentence: str) -> bool:
        """Whether ``sentence`` is a list of bare terms (``wording.word_list``), which offers nothing."""
        numbers = self.numbers
        return word_list(
            sentence,
            self.case.language,
            min_parts=numbers.word_list_parts,
            term_words=numbers.bare_term_words,
            term_hanzi=numbers.bare_term_hanzi,
        )

    def _hinted_outside(self, resolution_id: str, lists: list[str], text: str) -> bool:
        """Whether a resolution's keyword hint is said outside the turn's word lists."""
        if not lists:
            return True
        resolution = self.acceptable.get(resolution_id) or self.refused.get(resolution_id)
        pattern = keyword_pattern(resolution.keywords, inflect=self.case.language == "en") if resolution else None
        if pattern is None:
            return True
        rest = text
        for sentence in lists:
            rest = rest.replace(sentence, " ")
        return bool(pattern.search(rest))

    def concrete(self, text: str) -> bool:
        """Whether ``text`` names a time, a date, a duration, an amount or a reference (outside word lists)."""
        language = self.case.language
        text = " ".join(sentence for sentence in sentence_texts(text) if not self.is_word_list(sentence))
        return (
            structure.names_time(text, language)
            or bool(structure.amounts(text, language))
            or structure.has_identifier(text)
        )

    def handle(
        self, turn: RecognizedTurn, text: str, memory: CustomerMemory, offers: TurnOffers
    ) -> tuple[list[Move], bool]:
        """Moves for the offers of the turn, and whether the turn moved towards a resolution."""
        if offers.acceptable:
            chosen = self._pick_offer(turn, memory, offers)
            memory.offer_words[chosen] = self.keyword_words(chosen, text) or memory.offer_words.get(chosen, "")
            memory.offer_sentences[chosen] = offers.sentences.get(chosen, text)
            if self.concrete(text) and chosen not in memory.complete:
                memory.complete.append(chosen)
            repeat = chosen in memory.considered
            offer = (("agent_offer", memory.offer_words[chosen]),)
            if chosen not in memory.complete:
                self._consider(memory, chosen)
                return [Move("ask_offer_detail", offer)], True
            if wants_proof(self.persona) and not memory.proof_seen and not memory.proof_demanded:
                memory.proof_demanded = True
                self._consider(memory, chosen)
                return [Move("demand_proof")], True
            if memory.mood <= self.numbers.accept_max_mood or (repeat and memory.mood < 10):
                return self._accept(memory, chosen), True
            self._consider(memory, chosen)
            return [Move("consider_offer", offer)], True
        if offers.refused:
            words = self.keyword_words(offers.refused[0], text, refused=True)
            return [Move("reject_offer", (("agent_offer", words),))], False
        pending = memory.pending_offer
        if pending is not None:
            if pending not in memory.complete and self.concrete(text) and not turn.forbidden:
                memory.complete.append(pending)  # "…today before five" completes the offer on the table
            if pending in memory.complete and self._confirms(turn, memory):
                return self._accept(memory, pending), True
        if memory.goal_raised and not memory.goal_met and self._settles_goal(turn):
            memory.goal_met = True
            accepted = memory.accepted[-1] if memory.accepted else ""
            return [Move("accept", (("agent_offer", memory.offer_words.get(accepted, "")),))], True
        return [], False

    def _consider(self, memory: CustomerMemory, chosen: str) -> None:
        memory.pending_offer = chosen
        if chosen not in memory.considered:
            memory.considered.append(chosen)

    def _pick_offer(self, turn: RecognizedTurn, memory: CustomerMemory, offers: TurnOffers) -> str:
        """The offer the customer takes up: the one on the table, else (choosing) the closest to its wants."""
        fresh = [key for key in offers.acceptable if key not in memory.accepted] or list(offers.acceptable)
        if memory.pending_offer in fresh:
            return memory.pending_offer
        if memory.goal_raised:
            wanted = [key for key in fresh if key in self._compensation]
            if wanted:
                return wanted[0]
        if len(fresh) > 1:
            return fresh[self._closest_to_wants([self.acceptable[key].description for key in fresh])]
        return fresh[0]

    def _closest_to_wants(self, options: list[str]) -> int:
        encoder = sentence_encoder()
        vectors = encoder.encode([self.case.customer_wants, *options])
        return int(np.argmax(vectors[1:] @ vectors[0]))

    def choose(self, turn: RecognizedTurn) -> Move:
        """Answer a choice question that offers nothing of the case's ("上午还是下午?") by choosing."""
        for sentence in turn.sentences:
            if sentence.has(DialogueAct.ask_choice):
                options = choice_options(sentence.text, self.case.language)
                if options:
                    return Move("choose", (("choice", options[self._closest_to_wants(options)]),))
        return Move("choose", (("choice", ""),))

    def _accept(self, memory: CustomerMemory, offer_id: str) -> list[Move]:
        memory.pending_offer = None
        if offer_id not in memory.accepted:
            memory.accepted.append(offer_id)
        words = (("agent_offer", memory.offer_words.get(offer_id, "")),)
        if self._goal_left(memory):
            memory.goal_raised = True
            return [Move("raise_goal", words)]
        memory.goal_met = True
        return [Move("accept", words)]

    def _goal_left(self, memory: CustomerMemory) -> bool:
        """Compensation still to come: the persona wants it, the case allows it, none accepted yet."""
        if Behaviour.asks_for_compensation not in self.persona.behaviours or not self._compensation:
            return False
        return not memory.goal_raised and not any(key in self._compensation for key in memory.accepted)

    def _settles_goal(self, turn: RecognizedTurn) -> bool:
        """After the customer raised compensation: a reason why not, without brushing it off."""
        reasons = turn.has(DialogueAct.explain_policy) or turn.has(DialogueAct.refusal)
        return reasons and not turn.forbidden

    def _confirms(self, turn: RecognizedTurn, memory: CustomerMemory) -> bool:
        """Whether the agent's turn settles an offer the customer was considering."""
        if wants_proof(self.persona) and not memory.proof_seen:
            return False
        settling = {DialogueAct.closing, DialogueAct.give_proof, DialogueAct.confirm_need, DialogueAct.promise}
        return bool(turn.acts & settling) and not turn.forbidden and not turn.over_promises

    def keyword_words(self, resolution_id: str, text: str, *, refused: bool = False) -> str:
        """The offer's keyword exactly as the agent said it ("" when it said none of them)."""
        resolution = (self.refused if refused else self.acceptable).get(resolution_id)
        if resolution is None:
            return ""
        pattern = keyword_pattern(resolution.keywords, inflect=self.case.language == "en")
        match = pattern.search(text) if pattern else None
        return match.group(0) if match else ""
