"""Command line: ``storyline COMMAND --help``.

Every command takes ``--db FILE`` (default ``$STORYLINE_DB`` or ``./storyline.db``);
every listing or show command takes ``--json``.

The commands live in files by group and register on the one Typer app (:data:`.common.app`) when imported
here, in the order ``storyline --help`` lists them: :mod:`.ingestion` (ingest), :mod:`.corpus` (articles,
show, export), :mod:`.outlets_table` (outlets), :mod:`.main_job` (run), :mod:`.copies` (reuse, duplicates),
:mod:`.story_views` (cluster, stories, story, analyze), :mod:`.serving` (serve), :mod:`.following` (watch,
follow), :mod:`.spark` (spark-run, import), :mod:`.network` (outlet, network, coverage, groups) and
:mod:`.admin` (doctor). :mod:`.views` holds what several of them print.
"""

from __future__ import annotations

import sys

import typer

from .common import app, err

# the order of these imports is the order of the commands in `storyline --help`
# isort: off
from . import ingestion, corpus, outlets_table, main_job, copies, story_views, serving, following, spark  # noqa: F401
from . import network, admin  # noqa: F401
# isort: on

# the names this module held before the split into files stay importable from here
from .admin import doctor  # noqa: F401
from .copies import _short, duplicates_cmd, reuse_cmd  # noqa: F401
from .corpus import articles, export, show  # noqa: F401
from .following import follow, watch  # noqa: F401
from .ingestion import (  # noqa: F401
    SKIPPED_LINES,
    _internal_error,
    _print_ingest_summary,
    _report_json,
    _run_ingest,
    ingest,
)
from .main_job import _found_json, _print_found, run  # noqa: F401
from .outlets_table import outlets  # noqa: F401
from .serving import serve  # noqa: F401
from .spark import import_, spark_run  # noqa: F401
from .story_views import (  # noqa: F401
    DatesOption,
    SentencesOption,
    _ranked,
    _story_json,
    analyze,
    cluster,
    stories,
    story,
)
from .views import (  # noqa: F401
    _article_brief,
    _articles_table,
    _cite,
    _print_story_events,
    _print_story_header,
    _span,
    _stories_table,
    _story_analysis,
    _story_brief,
    analysis_json,
    print_analysis,
)


def main() -> None:
    """The `storyline` command: an error that is not the input's (a bug, a missing dependency) ends it with
    a message and exit code 3, never a bare trace; bad settings with exit code 2."""
    from ..config import ConfigError

    try:
        app()
    except ConfigError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        sys.exit(2)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: report, exit non-zero
        try:
            _internal_error("storyline", exc)
        except typer.Exit as done:
            sys.exit(done.exit_code)


if __name__ == "__main__":  # pragma: no cover
    main()
