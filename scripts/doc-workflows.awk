# Writes each GitHub workflow snippet of a Markdown file (a ```yaml / ```yml block) as a
# workflow actionlint can lint, for scripts/lint-actions. Run as
#   awk -v out=DIR -v doc=PATH -f scripts/doc-workflows.awk PATH
# A block holding `jobs:` is a workflow (an `on:` is added when it has none); a bare list of
# steps (`- uses:` / `- run:`) becomes the steps of one job. Other YAML (a .gitlab-ci.yml,
# tested by tests/it/ci_snippets.rs; action metadata) is left alone. For each file written,
# a line "FILE DOC FIRST OFFSET" goes to DIR/map: the doc line of the block's first line, and
# how many lines the wrapper put in front, so scripts/lint-actions can name the doc's line.

# `on:` for a snippet without one: a manual run with the `version` input the docs' examples
# read as `${{ inputs.version }}`.
function on_header() {
  return "on:\n  workflow_dispatch:\n    inputs:\n      version:\n        description: The model version\n        required: true\n"
}

function flush(   name, file, text, offset, i, kind, first) {
  first = ""
  for (i = 1; i <= n; i++) {
    if (body[i] !~ /^[[:space:]]*(#.*)?$/) { first = body[i]; break }
  }
  kind = ""
  if (joined ~ /(^|\n)jobs:/) kind = "workflow"
  else if (first ~ /^- / && joined ~ /(^|\n)[[:space:]]*-?[[:space:]]*(uses|run):/) kind = "steps"
  if (kind == "" || body[1] ~ /^# \.gitlab-ci\.yml/) return

  name = doc
  gsub(/\//, "-", name)
  name = name "-" start ".yml"
  file = out "/" name
  text = ""
  offset = 0
  if (kind == "steps") {
    text = on_header() "jobs:\n  snippet:\n    runs-on: ubuntu-latest\n    steps:\n"
    offset = 10
    for (i = 1; i <= n; i++) text = text (body[i] == "" ? "" : "      " body[i]) "\n"
  } else {
    if (joined !~ /(^|\n)on:/) { text = on_header(); offset = 6 }
    for (i = 1; i <= n; i++) text = text body[i] "\n"
  }
  printf "%s", text > file
  close(file)
  print name, doc, start, offset >> (out "/map")
  close(out "/map")
}

!inside && /^[[:space:]]*```(yaml|yml)[[:space:]]*$/ {
  inside = 1; n = 0; joined = ""; start = FNR + 1
  next
}
inside && /^[[:space:]]*```[[:space:]]*$/ {
  inside = 0
  flush()
  next
}
inside {
  body[++n] = $0
  joined = joined $0 "\n"
}
