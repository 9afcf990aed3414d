"""`toolkit check`: every series of a mail file reviewed, printed as text, JSON, SARIF, annotations or replies."""

from __future__ import annotations

import os
import sys

from toolkit.cli.common import Progress, budget, folder, jobs, message_id, names, revision


def add_check(sub):
    p = sub.add_parser("check", help="review the patch series mailed in an mbox",
                       description="Apply the review rules to every patch series of an mbox, a "
                                   "mail, a directory of git format-patch files, or - for stdin.")
    p.add_argument("path", metavar="PATH", help="the mail to check; - reads standard input")
    p.add_argument("--series", type=message_id, metavar="MSGID",
                   help="check only the series that holds this message (any mail of it)")
    p.add_argument("--revision", type=revision, metavar="N",
                   help="check revision vN of each series (default: the newest in the mbox)")
    p.add_argument("--format", choices=("text", "json", "jsonl", "email", "sarif", "github", "b4"),
                   default="text",
                   help="text (default); json; jsonl: a line of JSON per series as it is "
                        "checked, then the summary; email: review replies as an mbox; sarif: "
                        "SARIF 2.1.0; github: workflow annotations; b4: b4's per-patch lines")
    p.add_argument("--jobs", type=jobs, default=os.cpu_count() or 1, metavar="N",
                   help="check series in N processes (default: the machine's cores; at most "
                        "four per core)")
    p.add_argument("-o", "--output", metavar="DIR",
                   help="with --format email: write one file per reply into DIR (new or empty), "
                        "ready for git send-email DIR")
    p.add_argument("--ignore", type=names, default=[], metavar="RULE,..",
                   help="do not apply these rules")
    p.add_argument("--types", type=names, default=[], metavar="RULE,..",
                   help="apply only these rules")
    p.add_argument("--fail-on", choices=("error", "warning", "check", "note"), default="warning",
                   help="exit 1 when a finding is at or above this level (default: warning)")
    p.add_argument("--tree", metavar="DIR",
                   help="a kernel git repository: each patch is judged on the tree after the "
                        "patches before it (applied in a temporary worktree; the repository is "
                        "not changed), Fixes: ids are looked up, and its scripts/spelling.txt "
                        "extends the misspelling list")
    p.add_argument("--build-limits", default="", metavar="LIMITS",
                   help="limits of each gcc/as/ld run on a patch's code and of the image run "
                        "(default: mem=512M,cpu=10,file=8M,wall=20,procs=32,image=4M; name only "
                        "those to change)")
    p.add_argument("--budget", type=budget, default=120, metavar="SECONDS",
                   help="time for building and running the patches' code (default: 120); what "
                        "it leaves untried gets a note 'not checked: budget'")
    p.set_defaults(func=_run_check)


def _run_check(args) -> int:
    from toolkit.checks import catalogue, trial
    from toolkit.errors import UsageError

    if args.output and args.format != "email":
        raise UsageError("-o/--output is for --format email",
                         why="the other formats are written to standard output")
    if args.tree:
        # A mistyped path would otherwise leave the series judged on the reference model.
        folder(args.tree)
        _repository(args.tree)      # says so when it is not one
    conf_ignore, conf_types = checkpatch_conf(args.tree)
    ignore, types = conf_ignore + args.ignore, conf_types + args.types
    chosen = catalogue.select(types=types, ignore=ignore)
    # b4 counts every line a check command writes to stderr as a failure
    if (foreign := catalogue.checkpatch_only(types + ignore)) and args.format != "b4":
        print(f"toolkit: note: checkpatch.pl types the toolkit does not check, accepted: "
              f"{', '.join(dict.fromkeys(foreign))}", file=sys.stderr)
    limits = None                   # the builder's own defaults, read only when a build runs
    if args.build_limits:
        from toolkit.emulate.limits import Limits

        limits = Limits.parse(args.build_limits)
    # One object, handed to every worker with the settings: the workers share the deadline.
    args.trials = trial.Trials.bounded(limits, args.budget)
    if args.format == "b4":
        from toolkit.report.b4 import SERIES_ONLY

        chosen = tuple(rule for rule in chosen if rule.name not in SERIES_ONLY)
    if args.format == "email":
        return _check_for_replies(args, chosen)
    return _check_streamed(args, chosen)


#: Where checkpatch.pl looks for its options file, first found wins: the working directory (the
#: tree it runs in), then the home directory, then .scripts; the tree of --tree comes second here.
CHECKPATCH_CONF = ".checkpatch.conf"


def checkpatch_conf(tree: str | None) -> tuple[list[str], list[str]]:
    """The --ignore and --types names of the .checkpatch.conf checkpatch.pl would read (its
    other options are checkpatch's own): words after '#' are comments, options as on its command
    line ('--ignore A,B' or '--ignore=A,B')."""
    places = [".", *([tree] if tree else []), os.path.expanduser("~"), ".scripts"]
    found = next((os.path.join(p, CHECKPATCH_CONF) for p in places
                  if os.path.isfile(os.path.join(p, CHECKPATCH_CONF))), None)
    if found is None:
        return [], []
    words = []
    try:
        with open(found, encoding="utf-8", errors="replace") as conf:
            for line in conf:
                for word in line.split():
                    if word.startswith("#"):
                        break
                    words.append(word)
    except OSError:
        return [], []
    lists: dict[str, list[str]] = {"--ignore": [], "--types": []}
    for k, word in enumerate(words):
        option, _, value = word.partition("=")
        if option in lists:
            value = value or (words[k + 1] if k + 1 < len(words) else "")
            lists[option] += names(value)
    return lists["--ignore"], lists["--types"]


def _check_streamed(args, chosen) -> int:
    """Every series of the file checked in `--jobs` processes; text and jsonl are printed as
    each series is done, the other formats once all are."""
    from toolkit import archive
    from toolkit.checks.findings import Level
    from toolkit.errors import UsageError
    from toolkit.mail.mbox import raw_mails
    from toolkit.report.report import CheckReport, Tally, series_json_line, series_text

    settings = archive.Settings(args.path, tuple(rule.name for rule in chosen), args.tree,
                                _is_repository(args.tree), args.revision, args.series,
                                args.trials)
    tally = Tally(Level.parse(args.fail_on))
    progress = Progress("check", _lines_of(args.path)) if sys.stderr.isatty() else None
    messages = _counted(raw_mails(args.path), progress)
    kept, first = [], None
    try:
        for done in archive.check(messages, settings, args.jobs):
            tally.mails += done.mails
            tally.skipped += done.skipped
            for base in dict.fromkeys(done.missing_bases):
                print(f"toolkit: {args.tree} has no commit {base} (the series' base-commit): "
                      "the patches are applied at HEAD", file=sys.stderr)
            for checked in done.checked:
                tally.add(checked)
                if args.format == "jsonl":
                    sys.stdout.write(series_json_line(checked))
                elif args.format == "text":
                    # the first series gets a heading only when a second one follows
                    if tally.series == 1:
                        first = checked
                        continue
                    if first is not None:
                        sys.stdout.write(series_text(first, 1))
                        first = None
                    sys.stdout.write(series_text(checked, tally.series))
                else:
                    kept.append(checked)
            if progress:
                progress.checked_up_to(tally.mails, tally.series)
    except KeyboardInterrupt:
        if progress:
            progress.done()
        print(f"toolkit: interrupted: {tally.series:,} series of {tally.mails:,} mails were "
              f"checked: {tally.summary()}", file=sys.stderr)
        return 130
    if progress:
        progress.done()
    if (args.series or args.revision) and tally.series == 0:
        what = f"message <{args.series.strip('<>')}>" if args.series else \
            f"revision {args.revision}"
        raise UsageError(f"no series with {what} in this mail", path=args.path)
    if args.format == "text":
        sys.stdout.write((series_text(first, None) if first else "") + tally.summary() + "\n")
    elif args.format == "jsonl":
        sys.stdout.write(tally.json_line())
    else:
        report = CheckReport(tuple(kept), tally.fail_on, tally.mails, tally.skipped)
        _print_report(args, report, chosen)
    return tally.exit_code


def _check_for_replies(args, chosen) -> int:
    """Review replies quote the mails, so these are kept whole and checked in this process."""
    from toolkit.checks import catalogue
    from toolkit.checks.findings import Level
    from toolkit.checks.spelling import Spelling
    from toolkit.mail import read_messages
    from toolkit.report import replies
    from toolkit.report.report import Checked, CheckReport
    from toolkit.series.assemble import group

    spelling = Spelling.load(args.tree)
    # Read once: standard input cannot be read again, and the replies quote the mails.
    messages = tuple(read_messages(args.path))
    archive = group(messages, args.path, revision=args.revision, pick=args.series)
    repository = args.tree if _is_repository(args.tree) else None
    checked = []
    for series in archive.series:
        paths = _paths_in(repository, series) if repository else None
        checked.append(Checked(series, tuple(catalogue.run(series, chosen, spelling, paths,
                                                           args.trials))))
    report = CheckReport(tuple(checked), Level.parse(args.fail_on), archive.mails_read,
                         archive.skipped)
    applied = [rule.name for rule in chosen]
    known = [rule.name for rule in catalogue.RULES]
    mails = replies.replies(report, messages,
                            lambda series: replies.not_checked(args.tree, series, applied, known))
    if args.output:
        for path in replies.write(mails, args.output):
            print(path)
    else:
        sys.stdout.write(replies.mbox(mails))
    return report.exit_code


def _lines_of(path: str) -> int | None:
    """How many lines a plain mail file has (to show how far reading has come), else None."""
    if path == "-" or not os.path.isfile(path):
        return None
    with open(path, "rb") as stream:
        if stream.read(2) == b"\x1f\x8b":
            return None
        stream.seek(0)
        return sum(chunk.count(b"\n") for chunk in iter(lambda: stream.read(1 << 20), b""))


def _counted(messages, progress):
    for message in messages:
        if progress:
            progress.read(message.at)
        yield message


def _repository(tree: str) -> str | None:
    """`tree` when it is a git repository; otherwise say what that means and give None."""
    if _is_repository(tree):
        return tree
    print(f"toolkit: {tree} is not a git repository: the patches are judged on the "
          "toolkit's reference model, and commit ids are not looked up", file=sys.stderr)
    return None


def _is_repository(tree: str | None) -> bool:
    if tree is None:
        return False
    from toolkit import gitrepo

    return gitrepo.is_repository(tree)


def _paths_in(repository: str, series):
    """The int3 path after each patch of `series`, applied in `repository`."""
    from toolkit.states import int3path

    paths = int3path.from_repository(series, repository)
    if paths.missing_base:
        print(f"toolkit: {repository} has no commit {paths.missing_base} (the series' "
              "base-commit): the patches are applied at HEAD", file=sys.stderr)
    return paths


def _print_report(args, report, chosen) -> None:
    if args.format == "sarif":
        from toolkit.report import sarif

        sys.stdout.write(sarif.render(report, chosen))
    elif args.format == "github":
        from toolkit.report import github

        sys.stdout.write(github.render(report))
    elif args.format == "b4":
        from toolkit.report import b4

        sys.stdout.write(b4.render(report))
    else:
        sys.stdout.write(report.json())
