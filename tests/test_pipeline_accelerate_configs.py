"""The accelerate config files in configs/accelerate/ pass accelerate's own checks: the config loader (known
top-level keys, a valid distributed type), `accelerate launch`'s argument validation, nested keys that are real
launch options (accelerate would otherwise ignore a misspelt one silently), and for FSDP the plugin accelerate
builds from the environment the launcher sets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

CONFIGS = Path(__file__).parents[1] / "configs" / "accelerate"
EXPECTED = {
    "ddp": {"multi_gpu": True, "use_fsdp": False, "use_deepspeed": False, "num_machines": 1},
    "fsdp": {"multi_gpu": False, "use_fsdp": True, "use_deepspeed": False, "num_machines": 1},
    "deepspeed-zero3": {"use_deepspeed": True, "zero_stage": 3, "zero3_init_flag": True, "num_machines": 1},
    "multi-node": {"multi_gpu": True, "num_machines": 2, "num_processes": 16, "main_process_port": 29500},
}


def launch_args(path: Path) -> Any:
    from accelerate.commands.launch import _validate_launch_command, launch_command_parser

    args = launch_command_parser().parse_args(["--config_file", str(path), "train.py"])
    return _validate_launch_command(args)[0]


def test_every_config_file_is_checked() -> None:
    assert sorted(p.stem for p in CONFIGS.glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_config_passes_accelerates_checks(name: str) -> None:
    from accelerate.commands.config.config_args import ClusterConfig
    from accelerate.commands.launch import launch_command_parser

    path = CONFIGS / f"{name}.yaml"
    config = ClusterConfig.from_yaml_file(str(path))  # raises on unknown keys and bad distributed types
    assert config.mixed_precision == "bf16"
    options = {action.dest for action in launch_command_parser()._actions}
    for section, prefix in (("fsdp_config", "fsdp_"), ("deepspeed_config", "")):
        for key in getattr(config, section):
            name_in_args = key if key.startswith(prefix) else prefix + key
            assert name_in_args in options, f"{path}: {section}.{key} is no accelerate launch option"
    args = launch_args(path)
    for key, value in EXPECTED[name].items():
        assert getattr(args, key) == value, key


def test_fsdp_config_builds_accelerates_fsdp2_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    from accelerate.utils import FullyShardedDataParallelPlugin
    from accelerate.utils.launch import prepare_multi_gpu_env

    env = prepare_multi_gpu_env(launch_args(CONFIGS / "fsdp.yaml"))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    plugin = FullyShardedDataParallelPlugin()
    assert plugin.fsdp_version == 2 and plugin.reshard_after_forward is True
    assert plugin.auto_wrap_policy is not None and "transformer" in plugin.auto_wrap_policy.__name__
    assert str(plugin.state_dict_type).endswith("FULL_STATE_DICT")


def test_a_misspelt_key_is_caught(tmp_path: Path) -> None:
    from accelerate.commands.config.config_args import ClusterConfig

    bad = tmp_path / "bad.yaml"
    bad.write_text((CONFIGS / "ddp.yaml").read_text() + "num_proceses: 4\n")
    with pytest.raises(ValueError, match="unknown keys"):
        ClusterConfig.from_yaml_file(str(bad))
