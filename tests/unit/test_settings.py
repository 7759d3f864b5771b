"""Settings: environment, then flags; the note drafter a user gets without asking."""

import pytest

from server.settings import load_settings


def test_the_default_note_needs_no_model() -> None:
    assert load_settings({}, environ={}).drafter == "rules"


@pytest.mark.parametrize("source", ["flag", "env"])
def test_a_note_model_named_alone_drafts_with_it(source: str) -> None:
    name = "qwen2.5-coder-1.5b-instruct"
    if source == "flag":
        settings = load_settings({"note_model": name}, environ={})
    else:
        settings = load_settings({}, environ={"CASENOTE_NOTE_MODEL": name})
    assert (settings.drafter, settings.note_model) == ("llama", name)


def test_an_explicit_drafter_wins_over_the_implication() -> None:
    settings = load_settings({"note_model": "qwen2.5:7b"},
                             environ={"CASENOTE_DRAFTER": "ollama"})
    assert settings.drafter == "ollama"
    assert load_settings({"drafter": "rules", "note_model": "x"}, environ={}).drafter == "rules"


def test_unset_flags_keep_the_environment_and_bad_values_say_which_variable() -> None:
    settings = load_settings({"port": None}, environ={"CASENOTE_PORT": "8123"})
    assert settings.port == 8123
    with pytest.raises(ValueError, match="CASENOTE_PORT"):
        load_settings({}, environ={"CASENOTE_PORT": "eighty"})
