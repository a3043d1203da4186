"""The kit's pure parts: platform tags for pip, pruning what the image provides, hash records of a model.json."""

from __future__ import annotations

import pytest

from arenapref.kaggle.modelcopy import model_extra, recorded_hashes
from arenapref.kaggle.target import expand_platform, make_target
from arenapref.kaggle.wheels import Package, prune


def test_a_manylinux_tag_admits_every_older_one_of_its_arch() -> None:
    tags = expand_platform("manylinux_2_35_x86_64")
    assert tags[0] == "manylinux_2_35_x86_64" and tags[-1] == "manylinux1_x86_64"
    assert {"manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64", "manylinux2010_x86_64"} <= set(
        tags
    )
    assert not any("aarch64" in t or "2_36" in t for t in tags)
    assert expand_platform("macosx_11_0_arm64") == ["macosx_11_0_arm64"]
    target = make_target("3.10", ["manylinux_2_17_aarch64"])
    assert target.abi == "cp310" and target.machine == "aarch64" and "manylinux2014_aarch64" in target.platforms
    options = target.pip_options()
    assert "--only-binary=:all:" in options and options[options.index("--python-version") + 1] == "3.10"
    with pytest.raises(ValueError, match="CPython version"):
        make_target("py3")


def test_pruning_drops_the_left_out_packages_and_what_only_they_need() -> None:
    packages = [
        Package(
            "arenapref",
            "0.1.0",
            (
                "numpy",
                'torch==2.13.0; extra == "nn"',
                'transformers[serving]; extra == "nn"',
                'huggingface-hub; extra == "nn"',
                'pytest; extra == "dev"',
            ),
        ),
        Package("numpy", "2.4.6", ()),
        Package("torch", "2.13.0", ("filelock", 'nvidia-cublas; platform_system == "Linux"', "sympy")),
        Package("nvidia-cublas", "12.0", ()),
        Package("sympy", "1.14", ("mpmath",)),
        Package("mpmath", "1.3", ()),
        Package("transformers", "5.24", ("tokenizers", "huggingface-hub", 'fastapi; extra == "serving"')),
        Package("tokenizers", "0.22", ("huggingface-hub",)),
        Package("fastapi", "0.120", ()),
        Package("huggingface-hub", "1.0", ("filelock",)),
        Package("filelock", "3.20", ()),
        Package("pytest", "8.0", ()),
    ]
    target = make_target("3.11")
    kept, dropped = prune(packages, {"nn"}, {"Torch", "transformers"}, target)
    assert [p.name for p in kept] == ["arenapref", "numpy", "huggingface-hub", "filelock"]
    assert {p.name for p in dropped} == {
        "torch",
        "nvidia-cublas",
        "sympy",
        "mpmath",
        "transformers",
        "tokenizers",
        "fastapi",
        "pytest",
    }
    kept, dropped = prune(packages, {"nn"}, set(), target)
    assert [p.name for p in dropped] == ["pytest"]  # extras of extras followed (transformers[serving] -> fastapi)
    kept, _ = prune(packages, set(), set(), target)
    assert [p.name for p in kept] == ["arenapref", "numpy"]


def test_hash_records_are_found_at_any_depth_and_the_extra_follows_the_model_type() -> None:
    digest = "ab" * 32
    meta = {
        "state": {
            "features_file": {"file": "f.json", "sha256": digest},
            "boosters": {"d": {"file": "d.txt", "sha256": digest}},
            "shards": [{"file": "w.safetensors", "sha256": digest}, {"file": "x", "sha256": "short"}],
        }
    }
    assert sorted(f for f, _ in recorded_hashes(meta)) == ["d.txt", "f.json", "w.safetensors"]
    assert model_extra("fast") is None and model_extra("prior") is None and model_extra("cross_encoder") == "nn"
