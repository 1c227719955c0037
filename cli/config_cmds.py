"""`partyflow config`: settings saved for this computer's user (for now the default recorder).

The recorder is who the log says entered a record. It is a person's name given on purpose
(`--by`, $PARTYFLOW_ACTOR, or this file), never the operating-system login (docs/cli.md).
"""
from __future__ import annotations

from typing import Annotated

import typer

from cli.options import ACTOR_ENV, Run, check_recorder, command, config_path, read_config, refuse, write_config
from cli.zh import ZhGroup

# key -> its Chinese name; only these may be set
KEYS = {"recorder": "默认录入人"}
KeyArg = Annotated[str, typer.Argument(help="设置项：recorder（默认录入人）", metavar="设置项")]


def _key(key: str) -> str:
    key = key.strip()
    for k, zh in KEYS.items():
        if key in (k, zh):
            return k
    raise refuse("config.key", f"没有“{key}”这一设置项，可设置：" + "、".join(f"{k}（{zh}）" for k, zh in KEYS.items()))


def register(app: typer.Typer) -> None:
    config_app = typer.Typer(cls=ZhGroup, help="本机设置（如默认录入人），保存在用户设置目录。", no_args_is_help=True)
    app.add_typer(config_app, name="config")

    @command(config_app, "set", help="保存一项设置，如 partyflow config set recorder 张三（此后写入命令默认以张三为录入人）。")
    def config_set(
        run: Run,
        key: KeyArg,
        value: Annotated[str, typer.Argument(help="值，如录入人姓名", metavar="值")],
    ) -> None:
        k = _key(key)
        data = read_config()
        data[k] = check_recorder(value, "录入人") if k == "recorder" else value
        path = write_config(data)
        if run.json:
            run.emit({"ok": True, k: data[k], "file": str(path)})
        else:
            run.line(f"已保存{KEYS[k]}：{data[k]}（{path}）")

    @command(config_app, "unset", help="删除一项设置，如 partyflow config unset recorder。")
    def config_unset(run: Run, key: KeyArg) -> None:
        k = _key(key)
        data = read_config()
        had = data.pop(k, None) is not None
        path = write_config(data) if had else config_path()
        if run.json:
            run.emit({"ok": True, "removed": had, "file": str(path)})
        else:
            run.line(f"已删除{KEYS[k]}设置（{path}）" if had else f"没有保存{KEYS[k]}设置")

    @command(config_app, "show", help="显示本机设置及其保存位置。")
    def config_show(run: Run) -> None:
        import os

        data = read_config()
        env = os.environ.get(ACTOR_ENV, "").strip()
        if run.json:
            run.emit({"file": str(config_path()), **{k: data.get(k) for k in KEYS}, "env": {ACTOR_ENV: env or None}})
            return
        run.line(f"设置文件：{config_path()}")
        for k, zh in KEYS.items():
            run.line(f"{zh}（{k}）：{data.get(k) or '未设置'}")
        if env:
            run.line(f"环境变量 {ACTOR_ENV}={env}（优先于设置文件；命令中的 --by 又优先于它）")
