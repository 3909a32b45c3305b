#!/usr/bin/env bash
# Builds the real components the end-to-end tests run (test/e2e), from the Go modules beside this script,
# into a cache outside the repository, and prints the directory that holds them all.
#
# Each component lands in $cache/<component>-<key>/bin, where <key> hashes its go.mod, go.sum, sources, the
# build flags and the Go version: what pins it. A warm run finds every key and builds nothing; a cold one on
# 2 cores takes about 40 minutes and prints how long each component took.
#
#   bash toolchain/build.sh            # builds what is missing, prints the bin directory
#   ATLAS_GITOPS_TOOLCHAIN=/some/dir   # a cache directory other than ~/.cache/atlas-gitops/toolchain
#
# Redis and git come from Debian; on a machine where this runs as root with apt-get (CI), missing ones are
# installed, elsewhere their absence is an error naming the command.
set -euo pipefail
# A failure inside $(...) stops the script too, not only the substitution.
shopt -s inherit_errexit

here=$(cd "$(dirname "$0")" && pwd)
cache=${ATLAS_GITOPS_TOOLCHAIN:-${XDG_CACHE_HOME:-$HOME/.cache}/atlas-gitops/toolchain}
export GOTOOLCHAIN=local GOFLAGS=-mod=readonly

log() { printf '[toolchain] %s\n' "$*" >&2; }

# The copy of a component's sources a build works in; gone however the script ends.
work=""
trap 'if [ -n "$work" ]; then rm -rf "$work"; fi' EXIT

debian_packages() {
  local missing=()
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v git >/dev/null || missing+=(git)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing ${missing[*]} from Debian"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$cache/apt.log" 2>&1 ||
      { cat "$cache/apt.log" >&2; exit 1; }
    # Debian starts the services it installs; the tests start their own on free ports.
    for service in redis-server; do
      if command -v systemctl >/dev/null; then systemctl stop "$service" >/dev/null 2>&1 || true; fi
      service "$service" stop >/dev/null 2>&1 || true
    done
  else
    log "missing ${missing[*]}: install them with: sudo apt-get install ${missing[*]}"
    exit 1
  fi
}

# The version a module of ours requires, read from its go.mod so the pin lives in one place.
module_version() { (cd "$here/$1" && go list -m -f '{{.Version}}' "$2"); }

key_of() {
  local component=$1
  shift
  {
    go version
    printf '%s\n' "$@"
    (cd "$here/$component" && find . -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' \) | LC_ALL=C sort | xargs sha256sum)
  } | sha256sum | cut -c1-16
}

# step COMPONENT COMMAND...: runs COMMAND in the component's work directory, its output in the component's log.
# A failure stops the whole build, naming the component and the command, with the end of what it printed; the
# component stays unmarked, so the next run builds it again.
step() {
  local component=$1
  shift
  if ! (cd "$work" && "$@") >>"$build_log" 2>&1; then
    log "FAILED: $component: $*"
    tail -n 40 "$build_log" | sed 's/^/[toolchain]   /' >&2
    log "the whole output is in $build_log; nothing of $component was marked built"
    exit 1
  fi
}

# The directory of a module the component requires, downloaded first: `go list -m -f '{{.Dir}}'` alone prints
# an empty directory for a module that is not in the module cache yet.
module_dir() {
  local component=$1 module=$2 dir
  step "$component" go mod download "$module"
  dir=$(cd "$work" && go list -m -f '{{.Dir}}' "$module")
  if [ -z "$dir" ] || [ ! -d "$dir" ]; then
    log "FAILED: $component: the module cache has no directory for $module after go mod download"
    exit 1
  fi
  echo "$dir"
}

# How each binary says its version: every one runs once before its component is marked built.
version_command() {
  case $1 in
    pulumi) echo version ;;
    kubectl | argocd) echo version --client ;;
    kustomize) echo version ;;
    *) echo --version ;;
  esac
}

# build COMPONENT "FLAGS..." PACKAGE=NAME...: builds each package into the component's cached bin directory and
# sets $built to it. It is marked built (.complete) only when every binary is there and runs.
built=""
build() {
  local component=$1 flags=$2
  shift 2
  local key dir
  key=$(key_of "$component" "$flags" "$@")
  dir="$cache/$component-$key"
  built="$dir/bin"
  if [ -f "$dir/.complete" ]; then
    return
  fi
  log "building $component (key $key)"
  local started=$SECONDS
  rm -rf "$dir" && mkdir -p "$dir/bin"
  build_log="$dir/build.log"
  : >"$build_log"
  work=$(mktemp -d)
  cp -R "$here/$component/." "$work/"
  if [ "$component" = kubernetes-provider ]; then
    local provider_dir
    provider_dir=$(module_dir "$component" github.com/pulumi/pulumi-kubernetes/provider/v4) || exit 1
    step "$component" go run ./gen "$provider_dir" "$KUBERNETES_PROVIDER_VERSION" .
  fi
  local spec package name names=()
  for spec in "$@"; do
    [ "${spec%%=*}" = stages ] && continue
    package=${spec%%=*}
    name=${spec#*=}
    names+=("$name")
    # shellcheck disable=SC2086 # flags is a word list by design
    step "$component" eval "go build -trimpath $flags -o '$dir/bin/$name' '$package'"
  done
  if [ "$component" = kwok ]; then
    # kwok does nothing without stages: ship the upstream ones of this very version beside the binary.
    local kwok_dir stage
    kwok_dir=$(module_dir "$component" sigs.k8s.io/kwok) || exit 1
    for stage in $KWOK_STAGES; do
      if [ ! -s "$kwok_dir/kustomize/stage/$stage" ]; then
        log "FAILED: $component: sigs.k8s.io/kwok has no stage $stage in $kwok_dir"
        exit 1
      fi
      cat "$kwok_dir/kustomize/stage/$stage"
      printf -- '---\n'
    done >"$dir/bin/kwok-stages.yaml"
  fi
  for name in "${names[@]}"; do
    if [ ! -x "$dir/bin/$name" ]; then
      log "FAILED: $component: go build produced no $dir/bin/$name; nothing of $component was marked built"
      exit 1
    fi
    local printed_before
    printed_before=$(wc -l <"$build_log")
    # shellcheck disable=SC2046 # the version command is a word list by design
    step "$component" "$dir/bin/$name" $(version_command "$name")
    log "$component: $name: $(sed -n "$((printed_before + 1))p" "$build_log")"
  done
  rm -rf "$work"
  echo "$((SECONDS - started))" >"$dir/build-seconds"
  touch "$dir/.complete"
  log "built $component in $((SECONDS - started)) s"
}

# Everything runs from main, called on the last line: bash reads a script as it runs it, so without this an edit
# to this file (a git pull, a checkout) while a build runs would make it resume at the wrong place.
main() {
  # Which components to build: all by default; names given on the command line build only those (the tests
  # use that to try the failure paths without a full build) and make no link directory.
  wanted() { [ ${#only[@]} -eq 0 ] || [[ " ${only[*]} " == *" $1 "* ]]; }
  only=("$@")
  for component in "${only[@]}"; do
    [ -f "$here/$component/go.mod" ] || { log "no component $component: toolchain/$component/go.mod is missing"; exit 2; }
  done

  mkdir -p "$cache"
  # One build.sh at a time per cache: a second one would remove the component the first is building (as two e2e
  # runs started together did here). The lock goes with the process, however it ends. Taken after the names are
  # checked, so a mistyped one is refused at once even while a build runs.
  exec 9>"$cache/.lock"
  if ! flock -n 9; then
    log "another build.sh is using $cache; waiting for it to finish"
    flock 9
  fi

  [ ${#only[@]} -eq 0 ] && debian_packages

  started=$SECONDS
  bins=()
  export CGO_ENABLED=0
  # component NAME "FLAGS..." PACKAGE=NAME...: builds it when it is wanted, and adds it to the set.
  component() {
    wanted "$1" || return 0
    build "$@"
    bins+=("$built")
  }

  if wanted pulumi; then pulumi_version=$(module_version pulumi github.com/pulumi/pulumi/pkg/v3); fi
  component pulumi "-tags osusergo,grpcnotrace -ldflags '-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=${pulumi_version:-}'" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi=pulumi

  # The provider module is served only as a pseudo-version of the v4.25.0 tag (see kubernetes-provider/go.mod).
  export KUBERNETES_PROVIDER_VERSION=4.25.0
  component kubernetes-provider "-ldflags '-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$KUBERNETES_PROVIDER_VERSION'" \
    .=pulumi-resource-kubernetes

  if wanted kubernetes; then
    kubernetes_version=$(module_version kubernetes k8s.io/kubernetes)
    k8s_minor=${kubernetes_version#v1.}
    k8s_minor=${k8s_minor%%.*}
    k8s_ldflags=""
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      k8s_ldflags+=" -X $pkg.gitVersion=$kubernetes_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$k8s_minor"
      k8s_ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
    done
  fi
  component kubernetes "-tags selinux,notest,grpcnotrace -ldflags '-s -w${k8s_ldflags:-}'" \
    k8s.io/kubernetes/cmd/kube-apiserver=kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager=kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler=kube-scheduler \
    k8s.io/kubernetes/cmd/kubectl=kubectl

  # etcd 3.6, as Kubernetes 1.34 is released with: Debian's 3.4 cannot serve the watch-list streams kwok asks for.
  component etcd "-ldflags '-s -w'" go.etcd.io/etcd/server/v3=etcd

  # Argo CD's version string takes the version without its leading v (upstream's VERSION file), or it prints vv3....
  if wanted argocd; then
    argocd_version=$(module_version argocd github.com/argoproj/argo-cd/v3)
    argocd_version=${argocd_version#v}
  fi
  component argocd "-ldflags '-s -w -X github.com/argoproj/argo-cd/v3/common.version=${argocd_version:-}'" \
    github.com/argoproj/argo-cd/v3/cmd=argocd

  # Nodes initialize and keep their lease; pods become Ready, Jobs' pods complete, deleted pods go away.
  export KWOK_STAGES="node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml
    pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml"
  component kwok "-ldflags '-s -w'" sigs.k8s.io/kwok/cmd/kwok=kwok "stages=$KWOK_STAGES"

  component kustomize "-ldflags '-s -w'" sigs.k8s.io/kustomize/kustomize/v5=kustomize

  if [ ${#only[@]} -gt 0 ]; then
    log "built ${only[*]}: ${bins[*]}"
    exit 0
  fi

  # One directory of links to this exact set, so a test puts one entry on PATH; made only of complete components.
  for dir in "${bins[@]}"; do
    [ -f "$dir/../.complete" ] || { log "FAILED: $dir is not a complete component"; exit 1; }
  done
  set_key=$(printf '%s\n' "${bins[@]}" | sha256sum | cut -c1-16)
  out="$cache/bin-$set_key"
  if [ ! -d "$out" ]; then
    tmp=$(mktemp -d "$cache/.bin-XXXXXX")
    for dir in "${bins[@]}"; do
      for file in "$dir"/*; do ln -s "$file" "$tmp/$(basename "$file")"; done
    done
    # Argo CD picks its role from the name it was started by.
    ln -s argocd "$tmp/argocd-application-controller"
    ln -s argocd "$tmp/argocd-repo-server"
    mv -T "$tmp" "$out" 2>/dev/null || rm -rf "$tmp"
  fi
  [ $((SECONDS - started)) -gt 5 ] && log "toolchain ready in $((SECONDS - started)) s"
  echo "$out"
}

main "$@"; exit
