"""The maubot side of `cargo bench --bench matrix`: `!timeline TEXT` gets a reply."""

from maubot import MessageEvent, Plugin
from maubot.handlers import command


class BenchReply(Plugin):
    @command.new("timeline")
    @command.argument("text", pass_raw=True, required=False)
    async def timeline(self, evt: MessageEvent, text: str = "") -> None:
        await evt.reply(f"Added: {text}")
