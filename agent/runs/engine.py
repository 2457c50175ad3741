"""The polyglot engine: runs a pipeline's nodes in their languages' adapters (§3, §4).

    async with Engine() as engine:
        document = await engine.run(pipeline, params={"min_amount": 10}, on_event=print)

The engine lives inside the agent daemon, whose idle memory budget is small: nothing on
its import path imports pandas, pyarrow or DuckDB. Values move between adapters as
opaque bytes (`Value`); tables are turned into JSON rows in a worker process.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import Callable, Collection, Mapping
from types import TracebackType
from typing import Any

from omnix.agent.adapters.base import Adapter, AdapterUnavailable, LanguageSupport
from omnix.agent.adapters.registry import AdapterRegistry
from omnix.agent.runs.execution import RunExecution, SecretResolver
from omnix.agent.runs.outputs import TableDecoder
from omnix.agent.store.metering import NodeUsage
from omnix.agent.store.outputs import OutputFiles
from omnix.shared.events import RunEvent
from omnix.shared.params import check_json_params
from omnix.shared.pipeline import BUILTIN_LANGUAGES, Pipeline
from omnix.shared.rundoc import RunDocument


class Engine:
    """Runs pipelines; owns the adapters' warm workers until `close`."""

    def __init__(
        self,
        *,
        max_parallel: int | None = None,
        adapters: Mapping[str, Adapter] | None = None,
        secrets: SecretResolver | None = None,
    ) -> None:
        """`max_parallel` bounds the nodes running at once (default: the CPU count);
        `adapters` maps languages to adapters (default: the registry of installed ones);
        `secrets` resolves a node's `secrets:` names to values (default: none available)."""
        self.max_parallel = max(1, max_parallel or os.cpu_count() or 1)
        self._adapters: Mapping[str, Adapter] = (
            adapters if adapters is not None else AdapterRegistry()
        )
        self._secrets = secrets
        self._slots = asyncio.Semaphore(self.max_parallel)
        self._started: dict[str, asyncio.Task[Adapter]] = {}
        self._decoder = TableDecoder()
        self._decoder_warmup: asyncio.Task[None] | None = None
        self._closed = False

    async def __aenter__(self) -> Engine:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop every worker of every adapter this engine started."""
        self._closed = True
        if self._decoder_warmup is not None:
            self._decoder_warmup.cancel()
            await asyncio.gather(self._decoder_warmup, return_exceptions=True)
        adapters: list[Adapter] = []
        for task in self._started.values():
            if not task.done():
                task.cancel()
            with contextlib.suppress(BaseException):
                adapters.append(await task)
        self._started.clear()
        # Close even adapters whose start failed half-way: they may hold a process.
        if isinstance(self._adapters, AdapterRegistry):
            adapters.extend(a for a in self._adapters.created.values() if a not in adapters)
        await asyncio.gather(*(a.close() for a in adapters), self._decoder.close())

    async def adapter(self, language: str) -> Adapter:
        """The started adapter for `language`; `AdapterUnavailable` says what to install."""
        task = self._started.get(language)
        if task is None or (task.done() and (task.cancelled() or task.exception() is not None)):
            task = asyncio.create_task(self._start(language))
            self._started[language] = task
        return await asyncio.shield(task)

    def worker_counts(self) -> dict[str, int]:
        """Live worker processes of each started language (read by metrics scrapes)."""
        counts: dict[str, int] = {}
        for language, task in self._started.items():
            if task.done() and not task.cancelled() and task.exception() is None:
                pids = getattr(task.result(), "worker_pids", None)
                if pids is not None:
                    counts[language] = len(pids)
        return counts

    async def languages(self) -> list[LanguageSupport]:
        """Every language this engine knows (built-ins and plugins), each with its runtime's
        version or why it cannot run here. Starts nothing: only version probes run."""
        names = sorted(set(BUILTIN_LANGUAGES) | set(self._adapters))
        return list(await asyncio.gather(*(self._support(name) for name in names)))

    async def _support(self, language: str) -> LanguageSupport:
        try:
            adapter = self._adapters[language]
        except KeyError:
            return LanguageSupport(language, problem=f"no adapter for '{language}' is installed")
        except AdapterUnavailable as exc:
            return LanguageSupport(language, problem=str(exc))
        version = getattr(adapter, "version", None)
        if version is None:
            return LanguageSupport(language)  # a plugin that does not say
        try:
            return LanguageSupport(language, version=str(await version()))
        except AdapterUnavailable as exc:
            return LanguageSupport(language, problem=str(exc))
        except Exception as exc:  # a plugin's bug must not break a status check
            return LanguageSupport(language, problem=f"{type(exc).__name__}: {exc}")

    async def warm(self, language: str) -> None:
        """Start `language`'s adapter ahead of the first run that needs it."""
        await self.adapter(language)

    async def _start(self, language: str) -> Adapter:
        try:
            adapter = self._adapters[language]
        except KeyError:
            raise AdapterUnavailable(
                f"no adapter for language '{language}' is installed; adapters come from "
                "packages declaring an `omnix.adapters` entry point"
            ) from None
        await adapter.start()
        return adapter

    async def run(
        self,
        pipeline: Pipeline,
        *,
        params: Mapping[str, Any] | None = None,
        run_id: str | None = None,
        on_event: Callable[[RunEvent], None] | None = None,
        cancel: asyncio.Event | None = None,
        include_outputs: bool | Collection[str] = True,
        outputs_as_text: bool = False,
        output_files: OutputFiles | None = None,
        on_usage: Callable[[NodeUsage], None] | None = None,
    ) -> RunDocument:
        """Run `pipeline` to completion and return its run document.

        `params` override the pipeline's defaults. Events go to `on_event` as they happen.
        Setting `cancel` (or cancelling this call) kills running nodes and ends the run
        `cancelled`. `include_outputs=False` leaves outputs out of the document and a
        collection of node ids keeps only theirs: outputs left out are never converted to
        JSON, which matters for large tables. `outputs_as_text` keeps the outputs as JSON
        text (`NodeResult.output_text`) instead of values: what a caller that only stores
        or prints them wants. `output_files` writes them to the store's files instead
        (`NodeResult.output_bytes`), tables straight from the decoder worker.
        `on_usage` gets each attempt's usage record as the attempt ends.
        """
        if self._closed:
            raise RuntimeError("the engine is closed")
        run_params = {**pipeline.params, **(params or {})}
        check_json_params(run_params)  # raises ParamError (a ValueError) before anything runs
        adapters = await self._prepare(pipeline)
        if include_outputs and self._decoder_warmup is None:
            # Warm the table decoder up in the background; errors surface when it is used.
            self._decoder_warmup = asyncio.create_task(self._warm_decoder())
        execution = RunExecution(
            pipeline,
            run_id=run_id or uuid.uuid4().hex,
            params=run_params,
            adapters=adapters,
            slots=self._slots,
            decoder=self._decoder,
            on_event=on_event,
            secrets=self._secrets,
            include_outputs=include_outputs,
            outputs_as_text=outputs_as_text,
            output_files=output_files,
            on_usage=on_usage,
        )
        return await execution.execute(cancel)

    async def _warm_decoder(self) -> None:
        with contextlib.suppress(Exception):
            await self._decoder.start()

    async def _prepare(self, pipeline: Pipeline) -> dict[str, Adapter | AdapterUnavailable]:
        """Start the adapters of every language the pipeline uses, all at once."""
        languages = sorted(pipeline.languages)
        results = await asyncio.gather(
            *(self.adapter(language) for language in languages), return_exceptions=True
        )
        prepared: dict[str, Adapter | AdapterUnavailable] = {}
        for language, result in zip(languages, results, strict=True):
            if isinstance(result, AdapterUnavailable):
                prepared[language] = result
            elif isinstance(result, Exception):
                # A broken adapter fails its own nodes; the rest of the pipeline still runs.
                prepared[language] = AdapterUnavailable(
                    f"the {language} adapter failed to start: {type(result).__name__}: {result}"
                )
            elif isinstance(result, BaseException):
                raise result
            else:
                prepared[language] = result
        return prepared
