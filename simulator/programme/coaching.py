"""Who may act on a trainee's programme records: the one check every programme service shares."""

from __future__ import annotations

from simulator.accounts import User
from simulator.programme.errors import NotAllowed, ProgrammeError
from simulator.programme.quiz_attempts import FindUser


def coaches(find_user: FindUser, user: User, trainee: str) -> bool:
    """True when ``user`` coaches the account named ``trainee`` (False for an unknown name)."""
    person = find_user(trainee)
    return person is not None and user.coaches(person)


def coached_trainee(find_user: FindUser, user: User, name: str) -> User:
    """The trainee account ``name`` that ``user`` coaches; refuses unknown names and other teams."""
    person = find_user(name)
    if person is None or not person.can("trainee"):
        raise ProgrammeError("assess_unknown_trainee", name=name)
    if not user.coaches(person):
        raise NotAllowed("assess_not_your_trainee", name=name)
    return person
