# Sourced by mvnw before it looks for Java. jobs builds with JDK 21 or newer, but a machine's
# default java may be older while a newer JDK is installed beside it (Debian's
# /usr/lib/jvm, for one). Keep JAVA_HOME, or the javac on the PATH, when it is 21 or newer;
# otherwise build with the newest 21+ JDK in the usual folders, and say so.

jobs_jdk_version() { # a JDK home -> its feature version; 0 when it is no JDK
  if [ ! -x "$1/bin/javac" ] || [ ! -f "$1/release" ]; then
    echo 0
    return
  fi
  jobs_v=$(sed -n 's/^JAVA_VERSION="\([0-9][0-9]*\).*/\1/p' "$1/release")
  [ "$jobs_v" != 1 ] || jobs_v=8
  echo "${jobs_v:-0}"
}

jobs_pick_jdk() {
  jobs_current=${JAVA_HOME-}
  if [ -z "$jobs_current" ] && command -v javac >/dev/null 2>&1; then
    jobs_javac=$(readlink -f "$(command -v javac)" 2>/dev/null || command -v javac)
    jobs_current=$(dirname "$(dirname "$jobs_javac")")
  fi
  if [ -n "$jobs_current" ] && [ "$(jobs_jdk_version "$jobs_current")" -ge 21 ]; then
    return
  fi
  jobs_best=
  jobs_best_v=0
  set +f
  for jobs_dir in /usr/lib/jvm/* /usr/java/* /opt/java/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -d "$jobs_dir" ] || continue
    jobs_v=$(jobs_jdk_version "$jobs_dir")
    if [ "$jobs_v" -ge 21 ] && [ "$jobs_v" -gt "$jobs_best_v" ]; then
      jobs_best=$jobs_dir
      jobs_best_v=$jobs_v
    fi
  done
  set -f
  if [ -n "$jobs_best" ]; then
    if [ -n "${JAVA_HOME-}" ]; then
      echo "mvnw: JAVA_HOME ($JAVA_HOME) is older than JDK 21; building with $jobs_best" >&2
    fi
    JAVA_HOME=$jobs_best
    export JAVA_HOME
  fi
  # No JDK 21+ anywhere: the build's enforcer rule says what to install.
}

jobs_pick_jdk
