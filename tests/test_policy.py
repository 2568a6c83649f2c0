import pytest

from copyguard.errors import ConfigError
from copyguard.policy import Policy, most_severe


def test_actions_per_source_then_license_then_default():
    p = Policy(sources={"a.py": "allow"})
    assert p.action_for("MIT", "a.py") == "allow"
    assert p.action_for("MIT", "b.py") == "annotate"
    assert p.action_for(None, "b.py") == "block"
    assert most_severe(["annotate", "block", "allow"]) == "block"
    assert most_severe([]) == "allow"


def test_policy_from_toml(tmp_path):
    f = tmp_path / "policy.toml"
    f.write_text('min_tokens_code = 60\ndefault_action = "redact"\n[licenses]\n"GPL-3.0-only" = "block"\nMIT = "allow"\n')
    p = Policy.from_toml(f)
    assert p.min_tokens_code == 60 and p.default_action == "redact"
    assert p.action_for("MIT") == "allow" and p.action_for("Apache-2.0") == "annotate"


@pytest.mark.parametrize("text", ['default_action = "delete"', "min_similarity = 2.0", "colour = 1", "[x"])
def test_bad_policy_files_are_refused_with_a_clear_error(tmp_path, text):
    f = tmp_path / "p.toml"
    f.write_text(text)
    with pytest.raises(ConfigError, match="p.toml|action|min_similarity"):
        Policy.from_toml(f)


def test_index_parameter_files(tmp_path):
    from copyguard.params import Params, load_params

    f = tmp_path / "params.toml"
    f.write_text("shingle_code = 8\nbands = 32\nrows = 4\n")
    assert load_params(str(f)) == Params(shingle_code=8, bands=32, rows=4)
    f.write_text("shingle_size = 8\n")
    with pytest.raises(ConfigError, match="unknown index parameters"):
        load_params(str(f))
    with pytest.raises(ConfigError, match="parameter file not found"):
        load_params(str(tmp_path / "missing.toml"))
