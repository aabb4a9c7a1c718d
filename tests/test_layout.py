"""The layout contract: the paths in twcs_classifier.layout and dvc.yaml agree.

Every layout path is an out of the stage that writes it (or lies inside one); every out,
and every data file a stage depends on, is a layout path (or a folder of them); the
models are those of params.yaml's compare.models, which the train matrix takes by DVC's
templating; compare and select read folders of every model's files, and where DVC needs one
line per model (select's model folders, the top-level plots) those lines are exactly
compare.models.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import pytest
import yaml
from conftest import MODELS, PARAMS, REPO

from twcs_classifier.dvc_pipeline import restore_hint, stage_failure_note
from twcs_classifier.evaluation import PLOTS
from twcs_classifier.layout import CATALOG, TEMPLATES, USER_RAW_DATA, Layout
from twcs_classifier.sampling import SPLITS

DVC_YAML = yaml.safe_load((REPO / "dvc.yaml").read_text())
LAYOUT = Layout()
FIELDS = {"split": SPLITS, "model": MODELS, "plot": PLOTS}
CODE = ("src/", "stages/")


def posix(path: Path) -> PurePosixPath:
    return PurePosixPath(path.as_posix())


def _lookup(key: str, item: dict[str, str]) -> str:
    node: object = {"item": item, **PARAMS}
    for part in key.split("."):
        assert isinstance(node, dict) and part in node, f"dvc.yaml uses ${{{key}}}, which is not defined"
        node = node[part]
    return str(node)


def _paths(entries: list, item: dict[str, str]) -> list[PurePosixPath]:
    """The paths of a deps/outs/metrics list, with ``${...}`` filled in."""
    names = [next(iter(e)) if isinstance(e, dict) else e for e in entries]
    return [PurePosixPath(re.sub(r"\$\{([^}]+)\}", lambda m: _lookup(m.group(1), item), n)) for n in names]


def _matrix_values(values: object) -> list:
    """A matrix key's values: a list, or ``${key}`` of params.yaml (DVC's templating)."""
    match = re.fullmatch(r"\$\{([^}]+)\}", values) if isinstance(values, str) else None
    if match:
        node: object = PARAMS
        for part in match.group(1).split("."):
            assert isinstance(node, dict) and part in node, f"dvc.yaml uses {values}, not in params.yaml"
            node = node[part]
        values = node
    assert isinstance(values, list), values
    return values


def dvc_stages() -> dict[str, dict[str, list[PurePosixPath]]]:
    """dvc.yaml's stages by address (``train@gru``), matrices expanded: their deps and outs."""
    out = {}
    for name, stage in DVC_YAML["stages"].items():
        matrix = stage.get("matrix", {})
        assert len(matrix) <= 1, "this test expands one-key matrices only"
        items = [{key: value} for key, values in matrix.items() for value in _matrix_values(values)] or [{}]
        for item in items:
            address = f"{name}@{next(iter(item.values()))}" if item else name
            outs = [*stage.get("outs", []), *stage.get("metrics", []), *stage.get("plots", [])]
            out[address] = {"deps": _paths(stage.get("deps", []), item), "outs": _paths(outs, item)}
    return out


def layout_paths(stage: str) -> Iterator[tuple[str, PurePosixPath]]:
    """(dvc stage address, path) for every path the layout says ``stage`` writes."""
    for entry, template in CATALOG[stage].items():
        fields = sorted(set(re.findall(r"\{(\w+)\}", template)))
        combos: list[dict[str, str]] = [{}]
        for field in fields:
            combos = [{**c, field: value} for c in combos for value in FIELDS[field]]
        for combo in combos:
            address = f"{stage}@{combo['model']}" if stage == "train" else stage
            yield address, posix(LAYOUT.path(entry, **combo))


def dvc_plot_files() -> list[PurePosixPath]:
    """The files of dvc.yaml's top-level plots (their ``y`` maps)."""
    return [PurePosixPath(file) for plot in DVC_YAML["plots"] for spec in plot.values() for file in spec["y"]]


ALL_LAYOUT_PATHS = {path for stage in CATALOG for _, path in layout_paths(stage)}


def within(path: PurePosixPath, folder: PurePosixPath) -> bool:
    return path == folder or folder in path.parents


def test_the_train_matrix_is_compare_models() -> None:
    """The model list is written once, in params.yaml; DVC fills the matrix in from it."""
    assert DVC_YAML["stages"]["train"]["matrix"]["model"] == "${compare.models}"
    assert tuple(_matrix_values(DVC_YAML["stages"]["train"]["matrix"]["model"])) == MODELS


@pytest.mark.parametrize("stage", list(CATALOG))
def test_every_layout_path_is_an_out_of_the_stage_that_writes_it(stage: str) -> None:
    stages = dvc_stages()
    for address, path in layout_paths(stage):
        assert address in stages, f"dvc.yaml has no stage {address}"
        outs = stages[address]["outs"]
        assert any(within(path, out) for out in outs), f"{path} is not an out of {address} ({outs})"


def test_every_out_and_data_dep_in_dvc_yaml_is_in_the_layout() -> None:
    raw = PurePosixPath(PARAMS["data"]["raw_path"])
    for address, stage in dvc_stages().items():
        for out in stage["outs"]:
            assert any(within(p, out) for p in ALL_LAYOUT_PATHS), f"{address} writes {out}, not in the layout"
        for dep in stage["deps"]:
            if dep == raw or str(dep).startswith(CODE):
                continue
            assert any(within(p, dep) for p in ALL_LAYOUT_PATHS), f"{address} reads {dep}, not in the layout"


def test_every_code_dep_exists() -> None:
    for address, stage in dvc_stages().items():
        for dep in stage["deps"]:
            if str(dep).startswith(CODE):
                assert (REPO / dep).exists(), f"{address} depends on {dep}, which does not exist"


def test_every_plot_in_dvc_yaml_is_a_layout_path_of_a_compared_model() -> None:
    written = [posix(LAYOUT.plot_file(name, plot)) for name in MODELS for plot in PLOTS]
    written += [posix(LAYOUT.training_log(name)) for name in MODELS]
    for path in dvc_plot_files():
        assert any(within(path, p) for p in written), path


def depends_on(deps: list[PurePosixPath], path: PurePosixPath) -> bool:
    return any(within(path, dep) for dep in deps)


def test_compare_and_select_depend_on_every_compared_model() -> None:
    stages = dvc_stages()
    for name in MODELS:
        assert depends_on(stages["compare"]["deps"], posix(LAYOUT.details_file(name))), name
        assert depends_on(stages["compare"]["deps"], posix(LAYOUT.predictions_file(name))), name  # paired tests
        assert depends_on(stages["select"]["deps"], posix(LAYOUT.details_file(name))), name
        assert depends_on(stages["select"]["deps"], posix(LAYOUT.model_dir(name))), name


def test_the_lines_dvc_forces_per_model_are_exactly_compare_models() -> None:
    """Where DVC needs one line per model (a folder dependency cannot hold another stage's
    output, and top-level plots take no matrix), dvc.yaml names exactly compare.models: a model
    added to params.yaml and missing here, or left here after leaving params.yaml, fails."""
    models_folder = posix(LAYOUT.model_dir("x")).parent
    select_models = {dep.name for dep in dvc_stages()["select"]["deps"] if dep.parent == models_folder}
    assert select_models == set(MODELS)
    plotted = {path.relative_to(posix(LAYOUT.plots)).parts[0] for path in dvc_plot_files()}
    assert plotted == set(MODELS)
    confusion = [title for plot in DVC_YAML["plots"] for title in plot if title.startswith("Confusion matrix")]
    assert sorted(confusion) == sorted(f"Confusion matrix {name} (test split)" for name in MODELS)


def test_no_stage_depends_on_the_timings_and_they_are_no_metrics() -> None:
    """Timings change on every run: a dependency on them would rerun compare and select, and as
    metrics they would fill `dvc metrics diff` after a rerun that changed nothing else."""
    timings = {posix(LAYOUT.timing_file(name)) for name in MODELS}
    for address, stage in dvc_stages().items():
        assert not timings & set(stage["deps"]), address
    for name, stage in DVC_YAML["stages"].items():
        metrics = _paths(stage.get("metrics", []), {"model": "x"})
        assert not any("timing" in str(path) for path in metrics), name
    train = DVC_YAML["stages"]["train"]
    assert [next(iter(e)) for e in train["metrics"]] == ["metrics/${item.model}.json"]


def test_dvc_yaml_plots_every_plot_of_every_compared_model() -> None:
    files = set(dvc_plot_files())
    for name in MODELS:
        for plot in PLOTS:
            assert posix(LAYOUT.plot_file(name, plot)) in files, (name, plot)


def test_templates_name_each_entry_once() -> None:
    assert len(TEMPLATES) == sum(len(paths) for paths in CATALOG.values())
    assert len(set(TEMPLATES.values())) == len(TEMPLATES)


def test_project_dir_comes_from_the_environment_or_the_default(tmp_path: Path) -> None:
    """One way to find the project (Layout.find): DVC's root while DVC runs a stage, else
    $TWCS_PROJECT_DIR, else the caller's default, else the working directory (kept relative)."""
    assert Layout.find(tmp_path, environ={}).root == tmp_path.resolve()
    assert Layout.find("/elsewhere", environ={"TWCS_PROJECT_DIR": str(tmp_path)}).root == tmp_path.resolve()
    assert Layout.find(tmp_path, environ={"TWCS_PROJECT_DIR": "  "}).root == tmp_path.resolve()
    under_dvc = {"DVC_STAGE": "train@gru", "DVC_ROOT": "/elsewhere", "TWCS_PROJECT_DIR": "/elsewhere"}
    assert Layout.find(tmp_path, environ=under_dvc).root == Path()  # a stage writes where DVC runs it
    assert Layout.find(environ={}).root == Path()
    assert Layout.find(Path.cwd(), environ={}).root == Path()
    assert Layout(tmp_path).served_model(environ={}) == tmp_path / "models" / "selected"
    assert Layout(tmp_path).served_model(environ={"TWCS_MODEL_DIR": "/m/gru"}) == Path("/m/gru")
    paths = Layout(tmp_path)
    assert paths.selected == tmp_path / "models" / "selected"
    assert paths.model_dir("gru") == tmp_path / "models" / "gru"
    assert (paths.metrics, paths.plots) == (tmp_path / "metrics", tmp_path / "plots")


def test_every_data_output_is_cached_so_dvc_checkout_restores_it() -> None:
    """Everything but the metrics and plots (numbers and labels, kept in git) is in DVC's
    cache, the reports too; the raw data and its fetch report are persistent (DVC never deletes
    them before fetch runs, which always runs), and so is the served model."""
    in_git = (posix(LAYOUT.metrics), posix(LAYOUT.plots))
    for name, stage in DVC_YAML["stages"].items():
        for entry in stage.get("outs", []):
            path, options = (next(iter(entry.items())) if isinstance(entry, dict) else (entry, {})) or {}
            if any(within(PurePosixPath(re.sub(r"\$\{[^}]+\}", "x", path)), folder) for folder in in_git):
                continue
            assert (options or {}).get("cache", True), f"{name} does not cache {path}"
    fetch = DVC_YAML["stages"]["fetch"]
    assert fetch["outs"] == [{str(posix(p)): {"persist": True}} for p in (LAYOUT.raw_data, LAYOUT.fetch_report)]
    assert fetch["always_changed"] is True
    assert posix(LAYOUT.raw_data) in dvc_stages()["extract"]["deps"]
    assert DVC_YAML["stages"]["select"]["outs"] == [{str(posix(LAYOUT.selected)): {"persist": True}}]


def test_the_pipelines_copy_of_the_raw_data_is_never_the_users_file() -> None:
    """data.raw_path names the user's file (where `fetch-data` puts it); the fetch stage writes only
    its own copy, elsewhere, so switching data.raw_path away and back gives the user's file back."""
    assert PARAMS["data"]["raw_path"] == USER_RAW_DATA
    assert posix(LAYOUT.raw_data) != PurePosixPath(USER_RAW_DATA)
    assert not any(within(PurePosixPath(USER_RAW_DATA), out) for s in dvc_stages().values() for out in s["outs"])


def test_restore_hints_name_commands_that_work() -> None:
    """Every output's hint names a stage dvc.yaml has, `dvc checkout` only for what DVC caches and
    `git checkout` for what is kept in git; a model dvc.yaml's matrix lacks is told what to add."""
    for address, stage in dvc_stages().items():
        for out in stage["outs"]:
            hint = restore_hint(REPO / out)
            assert f"`dvc repro {address}`" in hint, hint
            in_git = any(within(out, folder) for folder in (posix(LAYOUT.metrics), posix(LAYOUT.plots)))
            assert (f"`git checkout -- {out}`" in hint) == in_git, hint
            assert (f"`dvc checkout {address}`" in hint) == (not in_git), hint
    for path in ("metrics/details/foo.json", "models/foo", "plots/foo/roc.json"):
        hint = restore_hint(REPO / path)
        assert "train@foo, which dvc.yaml does not have: add foo to compare.models in params.yaml" in hint, hint
        assert "`dvc repro train@foo`" not in hint
    assert "outside any DVC project" in restore_hint(Path("/nonexistent/models/gru"))


def test_a_failed_stage_says_how_to_get_each_output_back() -> None:
    note = stage_failure_note("train@gru", REPO)
    assert "`dvc checkout train@gru` puts back models/gru, reports/errors_gru.csv, reports/timing_gru.json" in note
    assert "`git checkout -- metrics/details/gru.json plots/gru metrics/gru.json`" in note
    assert stage_failure_note("select", REPO) == (
        "models/selected is left as it was (persistent: written only when select succeeds)"
    )
    assert stage_failure_note("nonexistent", REPO) is None


def _model_colour_scales(node: object) -> Iterator[dict]:
    """Every ``color`` encoding of a template that colours by the model."""
    if isinstance(node, dict):
        colour = node.get("color")
        if isinstance(colour, dict) and colour.get("field") == "model":
            yield colour
        for value in node.values():
            yield from _model_colour_scales(value)
    elif isinstance(node, list):
        for value in node:
            yield from _model_colour_scales(value)


def test_every_plot_has_a_project_template_that_colours_models_without_naming_them() -> None:
    """The templates in .dvc/plots/ colour by the model (read from the file's path) with a colour
    scheme, never a list of model names: a new model gets a colour without editing them."""
    names = "|".join(MODELS)
    for plot in DVC_YAML["plots"]:
        title, spec = next(iter(plot.items()))
        path = REPO / ".dvc" / "plots" / f"{spec['template']}.json"
        assert path.is_file(), f"{title}: no template {path}"
        text = path.read_text()
        assert not re.search(rf'"({names})"', text), f"{path.name} names a model"
        for colour in _model_colour_scales(json.loads(text)):
            assert set(colour["scale"]) == {"scheme"}, (path.name, colour)


def test_the_plots_page_is_the_project_one() -> None:
    config = (REPO / ".dvc" / "config").read_text()
    assert re.search(r"^\s*html_template = plots/page.html$", config, re.MULTILINE)
    skeleton = (REPO / ".dvc" / "plots" / "page.in.html").read_text()
    assert '<meta charset="utf-8">' in skeleton and "{plot_divs}" in skeleton and "http" not in skeleton


def test_the_model_registry_names_the_selected_model_and_the_raw_data() -> None:
    """dvc.yaml's artifacts (`dvc artifacts get`, `dvc.api.artifacts_show`): the served model and
    the dataset, each the output of the stage that writes it, with a description and labels."""
    artifacts = DVC_YAML["artifacts"]
    kinds = {spec["type"]: PurePosixPath(spec["path"]) for spec in artifacts.values()}
    assert kinds == {"model": posix(LAYOUT.selected), "dataset": posix(LAYOUT.raw_data)}
    outs = {out for stage in dvc_stages().values() for out in stage["outs"]}
    for name, spec in artifacts.items():
        assert re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?", name), name  # DVC's artifact names
        assert PurePosixPath(spec["path"]) in outs, name
        assert spec["desc"].strip() and spec["labels"], name
