"""Rebuild the Timeline17 benchmark (news-tls format) into eval/data/ from a fetched snapshot.

    python eval/get_timeline_data.py --source GITDIR [--tilse GITDIR] [--out eval/data]

GITDIR is a bare git directory (no work tree is needed): ``--source`` a snapshot of
Haruhi07/news-tls-best, which carries Timeline17 (Tran et al. 2013) as
``dataset/Timeline17/<folder>/InputDocs/<YYYY-MM-DD>/<id>.htm.txt`` (article text, the
folder is the publication date) and ``timelines.jsonl`` (the human timelines); ``--tilse``
a snapshot of smartschat/tilse, for ROUGE-1.5.5's stopword list
(``pyrouge/tools/ROUGE-1.5.5/data/smart_common_words.txt``) that eval/timeline.py uses.
Where they come from, at which commit, and under which terms: eval/SOURCES.md.

What it writes (eval/data/ is git-ignored; nothing of it is committed):

    eval/data/t17/<topic>/articles.jsonl   {"id", "time", "text"} per article, by time
    eval/data/t17/<topic>/timelines.jsonl  one reference timeline per line: [[date, [sentence, ...]], ...]
    eval/data/t17/<topic>/keywords.json    as in the source (news-tls format; eval/timeline.py ignores it)
    eval/data/t17/MANIFEST.json            source repository, commit, counts, which folder gave which timeline
    eval/data/rouge/smart_common_words.txt

A topic is what news-tls calls one (9 for Timeline17): the source folders whose names share
the part before the first "_" (one folder per outlet's timeline), their articles pooled and
deduplicated by text. Every reference timeline of a topic is one task of the evaluation.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE_REPO = "Haruhi07/news-tls-best"
SOURCE_COMMIT = "241dc09951391d4682c2306e2341a2b7e02eabbe"
TILSE_REPO = "smartschat/tilse"
TILSE_COMMIT = "7cd812f5fed32d72e7d493f8d14b9139a24d907b"
PREFIX = "dataset/Timeline17/"
STOPWORDS = "pyrouge/tools/ROUGE-1.5.5/data/smart_common_words.txt"


class Git:
    """Read blobs of a bare git directory through one ``git cat-file --batch`` process."""

    def __init__(self, git_dir: Path):
        self.git_dir = str(git_dir)
        self.proc = subprocess.Popen(
            ["git", "--git-dir", self.git_dir, "cat-file", "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )

    def head(self) -> str:
        return subprocess.run(
            ["git", "--git-dir", self.git_dir, "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()

    def paths(self, under: str) -> list[str]:
        out = subprocess.run(
            ["git", "--git-dir", self.git_dir, "ls-tree", "-r", "--name-only", "HEAD", under],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return [p for p in out.splitlines() if p]

    def read(self, path: str) -> bytes | None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"HEAD:{path}\n".encode())
        self.proc.stdin.flush()
        header = self.proc.stdout.readline().decode().split()
        if len(header) < 3 or header[1] != "blob":  # "<path> missing": the snapshot left the file out
            return None
        data = self.proc.stdout.read(int(header[2]))
        self.proc.stdout.read(1)  # the newline after each blob
        return data

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait()


def topic_of(folder: str) -> str:
    return folder.split("_", 1)[0]


def build(source: Path, out: Path, tilse: Path | None) -> dict:
    git = Git(source)
    head = git.head()
    if head != SOURCE_COMMIT:
        print(f"warning: {source} is at {head}, eval/SOURCES.md describes {SOURCE_COMMIT}", file=sys.stderr)
    folders: dict[str, dict[str, list[str]]] = defaultdict(lambda: {"docs": [], "meta": []})
    for p in git.paths(PREFIX):
        parts = p[len(PREFIX) :].split("/")
        if len(parts) == 4 and parts[1] == "InputDocs" and parts[3].endswith(".txt"):
            folders[parts[0]]["docs"].append(p)
        elif len(parts) == 2 and parts[1] in ("timelines.jsonl", "keywords.json"):
            folders[parts[0]]["meta"].append(p)
    if not folders:
        raise SystemExit(f"no {PREFIX}<folder>/InputDocs in {source}")

    topics: dict[str, dict] = defaultdict(lambda: {"articles": {}, "timelines": [], "keywords": set(), "folders": []})
    missing: list[str] = []
    for folder in sorted(folders):
        t = topics[topic_of(folder)]
        t["folders"].append(folder)
        for p in sorted(folders[folder]["docs"]):
            day, name = p.split("/")[-2], p.split("/")[-1]
            raw = git.read(p)
            if raw is None:
                missing.append(p)
                continue
            text = raw.decode("utf-8", errors="replace").strip()
            if not text:
                continue
            key = hashlib.sha1(f"{day}\n{text}".encode()).hexdigest()
            if key not in t["articles"]:
                t["articles"][key] = {"id": f"{folder}/{name.split('.')[0]}", "time": day, "text": text}
        for p in folders[folder]["meta"]:
            raw = git.read(p)
            if raw is None:
                missing.append(p)
                continue
            if p.endswith("keywords.json"):
                t["keywords"].update(json.loads(raw))
            else:
                for line in raw.decode("utf-8").splitlines():
                    if line.strip():
                        t["timelines"].append({"folder": folder, "items": json.loads(line)})
    git.close()

    base = out / "t17"
    manifest = {"source": SOURCE_REPO, "commit": head, "path": PREFIX, "topics": {}, "missing": missing}
    for name, t in sorted(topics.items()):
        d = base / name
        d.mkdir(parents=True, exist_ok=True)
        arts = sorted(t["articles"].values(), key=lambda a: (a["time"], a["id"]))
        with open(d / "articles.jsonl", "w", encoding="utf-8") as f:
            for a in arts:
                f.write(json.dumps(a, ensure_ascii=False) + "\n")
        with open(d / "timelines.jsonl", "w", encoding="utf-8") as f:
            for tl in t["timelines"]:
                f.write(json.dumps(tl["items"], ensure_ascii=False) + "\n")
        (d / "keywords.json").write_text(json.dumps(sorted(t["keywords"])))
        manifest["topics"][name] = {
            "folders": t["folders"],
            "articles": len(arts),
            "timelines": [{"folder": tl["folder"], "dates": len(tl["items"])} for tl in t["timelines"]],
        }
    if tilse is not None:
        tg = Git(tilse)
        if tg.head() != TILSE_COMMIT:
            print(f"warning: {tilse} is at {tg.head()}, eval/SOURCES.md describes {TILSE_COMMIT}", file=sys.stderr)
        sw = tg.read(STOPWORDS)
        tg.close()
        if sw is None:
            raise SystemExit(f"{STOPWORDS} not in {tilse}")
        (out / "rouge").mkdir(parents=True, exist_ok=True)
        (out / "rouge" / "smart_common_words.txt").write_bytes(sw)
        manifest["rouge_stopwords"] = {"source": TILSE_REPO, "commit": TILSE_COMMIT, "path": STOPWORDS}
    (base / "MANIFEST.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", type=Path, required=True, help=f"git directory of a {SOURCE_REPO} snapshot")
    ap.add_argument("--tilse", type=Path, default=None, help=f"git directory of a {TILSE_REPO} snapshot")
    ap.add_argument("--out", type=Path, default=ROOT / "eval" / "data")
    args = ap.parse_args(argv)
    m = build(args.source, args.out, args.tilse)
    n_tl = sum(len(t["timelines"]) for t in m["topics"].values())
    n_art = sum(t["articles"] for t in m["topics"].values())
    print(
        f"{len(m['topics'])} topics, {n_tl} timelines, {n_art} articles -> {args.out / 't17'}"
        + (f"; {len(m['missing'])} files missing from the snapshot" if m["missing"] else "")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
