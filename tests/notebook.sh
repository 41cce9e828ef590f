#!/bin/sh
# The notebook under test: notebooks/results.ipynb executed headless, as
# `make notebooks` executes it (Jupyter's nbconvert under Debian's
# /usr/bin/python3), on a run database and a plan database made fresh here.
# A cell that raises fails the test, and nbconvert's report of it (the
# cell's source and the traceback) is printed. The notebook must also show
# the plan: its recommendation and figures in the plan section.
# Needs the `notebooks` package set (tools/deps.sh notebooks; `make
# test-notebook` installs it). CI runs it (.ci/run); `make test` does not.
# usage: tests/notebook.sh HEADROOM_BINARY   (run from the repository root)
set -u
HR=$1
. tests/lib.sh
PY=/usr/bin/python3

R=$T/run.db
P=$T/plan.db
expect "a fresh run database (demo, 10 min)" 0 'results: .*run\.db \(run 1\)' -- \
  "$HR" run scenarios/demo.yaml --db "$R" --set duration=10m
expect "a fresh plan database (demo-plan, 10 replications, target 70 %)" 0 'results: .*plan\.db \(plan 1\)' -- \
  "$HR" plan scenarios/demo-plan.yaml --db "$P" -n 10 --target 70%

# Executed in the notebook's folder, as Jupyter does; the output goes to $T.
HEADROOM_DB=$R HEADROOM_PLAN_DB=$P PYDEVD_DISABLE_FILE_VALIDATION=1 \
  "$PY" -Xfrozen_modules=off -m nbconvert --to notebook --execute --ExecutePreprocessor.timeout=600 \
  --output-dir "$T" --output results.ipynb notebooks/results.ipynb >"$T/nbconvert.log" 2>&1
rc=$?
if [ "$rc" = 0 ]; then
  ok "every cell of notebooks/results.ipynb runs"
else
  esc=$(printf '\033') # the traceback's colours, which a CI log shows as codes
  bad "every cell of notebooks/results.ipynb runs" "nbconvert exit $rc:
$(grep -v '^\[NbConvertApp\]' "$T/nbconvert.log" | sed "s/$esc\[[0-9;]*m//g" | tail -n 60)"
fi

# What the executed notebook shows: code cells, figures, errors; and in the
# plan section (from "## A plan" on) the plan's line and its figures.
if [ "$rc" = 0 ]; then
  "$PY" - "$T/results.ipynb" >"$T/digest" 2>&1 <<'EOF'
import json, sys
nb = json.load(open(sys.argv[1]))
code = figs = errors = plan_figs = 0
plan_text = ""
in_plan = False
for c in nb["cells"]:
    if c["cell_type"] == "markdown" and "".join(c["source"]).startswith("## A plan"):
        in_plan = True
    if c["cell_type"] != "code":
        continue
    code += 1
    for o in c.get("outputs", []):
        errors += o.get("output_type") == "error"
        png = "image/png" in o.get("data", {})
        figs += png
        plan_figs += png and in_plan
        if in_plan and o.get("output_type") == "stream":
            plan_text += "".join(o["text"])
print(f"{code} code cells, {figs} figures, {errors} errors; plan section: {plan_figs} figures")
print(plan_text.strip())
EOF
  sed 's/^/     /' "$T/digest"
  n=$(head -n 1 "$T/digest")
  case "$n" in
    *" 0 errors; plan section: "[2-9]*) ok "the notebook shows figures and no error ($n)" ;;
    *) bad "the notebook shows figures and no error" "$n" ;;
  esac
  grep -q "plan 1 of 'demo-plan'" "$T/digest" && ok "the notebook shows the plan" ||
    bad "the notebook shows the plan" "$(head -c 600 "$T/digest")"
fi

echo "notebook: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
