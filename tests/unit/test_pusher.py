"""The atomic, idempotent push into the serving directory."""

from components.serving_dir import STAGING_PREFIX, model_digest, push_atomically, served_versions


def _model(dir_, weights: bytes):
    (dir_ / "variables").mkdir(parents=True)
    (dir_ / "variables" / "variables.data").write_bytes(weights)
    (dir_ / "saved_model.pb").write_bytes(b"graph")
    return dir_


def test_first_push_writes_a_numbered_version_with_all_files(tmp_path):
    model = _model(tmp_path / "m1", b"w1")
    served, new = push_atomically(model, tmp_path / "serving")
    assert new and served.name.isdigit()
    assert (served / "saved_model.pb").read_bytes() == b"graph"
    assert (served / "variables" / "variables.data").read_bytes() == b"w1"
    assert [p.name for p in (tmp_path / "serving").iterdir()] == [served.name]


def test_same_model_again_is_not_a_new_version(tmp_path):
    model = _model(tmp_path / "m1", b"w1")
    first, _ = push_atomically(model, tmp_path / "serving")
    again, new = push_atomically(model, tmp_path / "serving")
    assert not new and again == first
    assert served_versions(tmp_path / "serving") == [first]


def test_different_model_gets_a_higher_version_even_within_the_same_second(tmp_path):
    first, _ = push_atomically(_model(tmp_path / "m1", b"w1"), tmp_path / "serving")
    second, new = push_atomically(_model(tmp_path / "m2", b"w2"), tmp_path / "serving")
    assert new and int(second.name) > int(first.name)
    assert served_versions(tmp_path / "serving") == [first, second]


def test_leftover_staging_dir_is_not_a_version_and_is_replaced(tmp_path):
    serving = tmp_path / "serving"
    (serving / f"{STAGING_PREFIX}1").mkdir(parents=True)
    assert served_versions(serving) == []
    served, _ = push_atomically(_model(tmp_path / "m1", b"w1"), serving)
    assert served_versions(serving) == [served]
    assert not any(p.name.startswith(STAGING_PREFIX) for p in serving.iterdir())


def test_digest_depends_on_content_and_names(tmp_path):
    a = _model(tmp_path / "a", b"w")
    b = _model(tmp_path / "b", b"w")
    c = _model(tmp_path / "c", b"x")
    assert model_digest(a) == model_digest(b) != model_digest(c)
