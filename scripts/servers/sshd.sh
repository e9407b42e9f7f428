#!/usr/bin/env bash
# OpenSSH sshd on loopback for the SFTP driver's tests (scripts/servers/README.md).
#
#   scripts/servers/sshd.sh start     install if missing, start, write sshd.env
#   scripts/servers/sshd.sh stop      stop it (and the sessions it forked)
#   scripts/servers/sshd.sh restart   stop, then start again on the same port with the same keys
#
# State lives in $TROVE_SERVERS_DIR/sshd/: host key, user key, known_hosts, config, pid
# file, port, and data/ (the store the tests use). Two logins:
#   - root by key (the conformance DSN): TROVE_TEST_SFTP_DSN + TROVE_TEST_SFTP_IDENTITY;
#   - user `trove-sftp` by password (password and wrong-password tests):
#     TROVE_TEST_SFTP_PASSWORD_DSN.
# TROVE_TEST_SFTP_KNOWN_HOSTS names the known_hosts file with this server's host key.
set -euo pipefail

dir_servers="${TROVE_SERVERS_DIR:?TROVE_SERVERS_DIR is not set (scripts/test.sh sets it)}"
state="$dir_servers/sshd"
env_file="$dir_servers/sshd.env"
sshd=/usr/sbin/sshd
pw_user=trove-sftp
# Outside $TROVE_SERVERS_DIR, whose parents the user may not be allowed to enter.
pw_home=/tmp/trove-sftp-home

die() { echo "sshd.sh: $*" >&2; exit 1; }

install() {
  [ -x "$sshd" ] && return 0
  command -v apt-get >/dev/null || die "$sshd is missing and apt-get is not available"
  echo "sshd.sh: installing openssh-server" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends openssh-server openssh-client >/dev/null
  [ -x "$sshd" ] || die "installing openssh-server did not provide $sshd"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pick_port() {
  if [ -s "$state/port" ] && ! port_in_use "$(cat "$state/port")"; then
    cat "$state/port"
    return
  fi
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 30000))
    if ! port_in_use "$p"; then echo "$p"; return; fi
  done
  die "no free port found"
}

# Kill a process and everything it forked (sshd forks a process per session, in a
# session of its own, so a process-group kill would miss them).
kill_tree() {
  local pid=$1 child
  for child in $(pgrep -P "$pid" 2>/dev/null || true); do kill_tree "$child"; done
  kill "$pid" 2>/dev/null || true
}

start() {
  install
  mkdir -p "$state/data" /run/sshd
  chmod 700 "$state"
  [ -f "$state/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C trove-test-host -f "$state/host_ed25519"
  [ -f "$state/user_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C trove-test-user -f "$state/user_ed25519"
  cp "$state/user_ed25519.pub" "$state/authorized_keys"
  chmod 600 "$state/authorized_keys"

  # A dedicated user for password logins.
  if ! id "$pw_user" >/dev/null 2>&1; then
    useradd --no-create-home --home-dir "$pw_home" --shell /bin/sh "$pw_user"
  fi
  [ -s "$state/password" ] || (head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$state/password")
  chmod 600 "$state/password"
  echo "$pw_user:$(cat "$state/password")" | chpasswd
  mkdir -p "$pw_home/data"
  chown -R "$pw_user" "$pw_home"

  local port
  port=$(pick_port)
  echo "$port" >"$state/port"
  cat >"$state/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $port
HostKey $state/host_ed25519
PidFile $state/sshd.pid
AuthorizedKeysFile $state/authorized_keys
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
AllowUsers root $pw_user
Subsystem sftp internal-sftp
LogLevel ERROR
MaxStartups 100
MaxSessions 100
EOF
  "$sshd" -t -f "$state/sshd_config" || die "sshd rejects its config $state/sshd_config"

  setsid "$sshd" -D -e -f "$state/sshd_config" >>"$state/sshd.log" 2>&1 < /dev/null &
  echo $! >"$state/launcher.pid"
  for _ in $(seq 1 100); do
    if port_in_use "$port"; then break; fi
    sleep 0.1
  done
  port_in_use "$port" || { tail -5 "$state/sshd.log" >&2; die "sshd did not answer on 127.0.0.1:$port"; }

  printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$state/host_ed25519.pub")" >"$state/known_hosts"
  cat >"$env_file" <<EOF
export TROVE_TEST_SFTP_DSN='sftp://root@127.0.0.1:$port$state/data'
export TROVE_TEST_SFTP_IDENTITY='$state/user_ed25519'
export TROVE_TEST_SFTP_KNOWN_HOSTS='$state/known_hosts'
export TROVE_TEST_SFTP_PASSWORD_DSN='sftp://$pw_user:$(cat "$state/password")@127.0.0.1:$port$pw_home/data'
export TROVE_TEST_SFTP_SCRIPT='$(cd "$(dirname "$0")" && pwd)/sshd.sh'
export TROVE_SERVERS_DIR='$dir_servers'
EOF
  echo "sshd.sh: sshd on 127.0.0.1:$port (state in $state)" >&2
}

stop() {
  local pid=""
  [ -s "$state/launcher.pid" ] && pid=$(cat "$state/launcher.pid")
  [ -z "$pid" ] && [ -s "$state/sshd.pid" ] && pid=$(cat "$state/sshd.pid")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill_tree "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$state/launcher.pid" "$state/sshd.pid"
  # The port is free again once the listener is gone.
  if [ -s "$state/port" ]; then
    for _ in $(seq 1 50); do port_in_use "$(cat "$state/port")" || break; sleep 0.1; done
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  *) echo "usage: $0 start|stop|restart" >&2; exit 2 ;;
esac
