#!/usr/bin/env bash
# deploy/check.sh — checks that the deployment files are well-formed and consistent:
#   JSON (python3 -m json.tool), YAML (PyYAML when importable, else skipped with a note), shell syntax,
#   the dashboard against make-dashboard.py, the cloud-init units against deploy/systemd/,
#   systemd units (systemd-analyze verify, if present), Prometheus config, rules and every dashboard
#   query (promtool, if present), and make-certs.sh end to end (a CA, certificates, an mTLS handshake).
# Prints "N passed, N failed" last; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$(readlink -f "$0")")"
passed=0 failed=0 skipped=0
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; [ -n "${2:-}" ] && sed 's/^/     /' <<<"$2"; failed=$((failed + 1)); }
skip() { echo "skip $1"; skipped=$((skipped + 1)); }
check() { local name="$1" out; shift; if out="$("$@" 2>&1)"; then ok "$name"; else bad "$name" "$out"; fi; }

for f in grafana/*.json prometheus/targets/*.json.example; do
    check "json $f" python3 -m json.tool "$f"
done
check "dashboard matches grafana/make-dashboard.py" python3 grafana/make-dashboard.py --check

if python3 -c 'import yaml' 2>/dev/null; then
    for f in cloud-init/*.yaml prometheus/*.yml; do
        check "yaml $f" python3 -c 'import sys, yaml; yaml.safe_load(open(sys.argv[1]))' "$f"
    done
    for pair in node.yaml:upfleet-agent.service controller.yaml:upfleet-controller.service; do
        y="cloud-init/${pair%%:*}" u="systemd/${pair#*:}"
        check "$y starts with #cloud-config" grep -qx '#cloud-config' <(head -1 "$y")
        check "$y embeds $u unchanged" python3 -c '
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
unit = [f["content"] for f in doc["write_files"] if f["path"] == "/etc/systemd/system/" + sys.argv[2].split("/")[-1]]
sys.exit(0 if unit == [open(sys.argv[2]).read()] else "differs: update the content block from " + sys.argv[2])' "$y" "$u"
        # The embedded setup scripts must at least parse as bash.
        python3 -c '
import sys, yaml
for f in yaml.safe_load(open(sys.argv[1]))["write_files"]:
    if f["path"].startswith("/usr/local/sbin/"):
        open(sys.argv[2], "w").write(f["content"])' "$y" "$tmp/setup.sh"
        check "$y setup script: bash -n" bash -n "$tmp/setup.sh"
    done
else
    skip "yaml (python3 has no yaml module: apt-get install python3-yaml)"
fi

for f in check.sh package.sh push.sh tls/make-certs.sh; do
    check "bash -n $f" bash -n "$f"
done

if command -v systemd-analyze >/dev/null; then
    # verify insists that ExecStart exists: point the units at stub launchers in a scratch tree.
    mkdir -p "$tmp/units" "$tmp/opt/bin"
    for b in upfleet-agent upfleet-controller; do printf '#!/bin/sh\n' > "$tmp/opt/bin/$b"; chmod +x "$tmp/opt/bin/$b"; done
    for u in systemd/*.service; do
        sed "s#/opt/upfleet#$tmp/opt#g" "$u" > "$tmp/units/$(basename "$u")"
        out="$(systemd-analyze verify "$tmp/units/$(basename "$u")" 2>&1)"
        # Warnings about the host (no systemd as PID 1 in a container, other units) are not ours.
        mine="$(grep -F "$(basename "$u")" <<<"$out" || true)"
        if [ -z "$mine" ]; then ok "systemd-analyze verify $u"; else bad "systemd-analyze verify $u" "$mine"; fi
    done
else
    skip "systemd units (no systemd-analyze)"
fi

if command -v promtool >/dev/null; then
    check "promtool check config prometheus/prometheus.yml" promtool check config prometheus/prometheus.yml
    check "promtool check rules prometheus/rules.yml" promtool check rules prometheus/rules.yml
    # Every dashboard query, with Grafana's variables filled in, as a recording rule.
    python3 - grafana/upfleet-dashboard.json > "$tmp/dashboard-rules.yml" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print("groups:\n  - name: dashboard\n    rules:")
for p in d["panels"]:
    for t in p.get("targets", []):
        e = t["expr"].replace("$__rate_interval", "1m").replace("$node", ".*")
        print("      - record: dashboard:query\n        expr: " + json.dumps(e))
PY
    check "promtool: every dashboard query parses" promtool check rules "$tmp/dashboard-rules.yml"
else
    skip "promtool (apt-get install prometheus)"
fi

if command -v openssl >/dev/null; then
    pki="$tmp/pki"
    if out="$(tls/make-certs.sh -c ctl-1=IP:127.0.0.1,DNS:localhost "$pki" web-1 db-1 2>&1 && tls/make-certs.sh "$pki" web-2 2>&1)"; then
        ok "make-certs.sh creates a CA, a controller and agent certificates, and adds nodes later"
        for c in controller/ctl-1 agent/web-1 agent/db-1 agent/web-2; do
            check "openssl verify $c.crt" openssl verify -CAfile "$pki/ca.crt" "$pki/$c.crt"
        done
        check "no default controller certificate when adding nodes" test ! -e "$pki/controller/controller.crt"
        check "agent key is private" test "$(stat -c %a "$pki/agent/web-1.key")" = 600
        check "controller certificate is for serverAuth" grep -q 'TLS Web Server Authentication' \
            <(openssl x509 -in "$pki/controller/ctl-1.crt" -noout -ext extendedKeyUsage)
        check "agent certificate is for clientAuth" grep -q 'TLS Web Client Authentication' \
            <(openssl x509 -in "$pki/agent/web-1.crt" -noout -ext extendedKeyUsage)
        # mTLS handshake on loopback: the server demands a client certificate signed by the CA.
        port=$((20000 + RANDOM % 20000))
        openssl s_server -accept "127.0.0.1:$port" -cert "$pki/controller/ctl-1.crt" -key "$pki/controller/ctl-1.key" \
            -CAfile "$pki/ca.crt" -Verify 1 -verify_return_error -naccept 1 -quiet >"$tmp/s_server.log" 2>&1 &
        server=$!
        sleep 1
        out="$(echo ping | timeout 10 openssl s_client -connect "127.0.0.1:$port" -verify_ip 127.0.0.1 -CAfile "$pki/ca.crt" \
            -cert "$pki/agent/web-1.crt" -key "$pki/agent/web-1.key" -verify_return_error -brief 2>&1)"
        if grep -q 'Verification: OK' <<<"$out"; then ok "mTLS handshake agent web-1 -> controller ctl-1"; else bad "mTLS handshake" "$out"; fi
        # Without a client certificate the server must refuse.
        kill "$server" 2>/dev/null; wait "$server" 2>/dev/null
        openssl s_server -accept "127.0.0.1:$port" -cert "$pki/controller/ctl-1.crt" -key "$pki/controller/ctl-1.key" \
            -CAfile "$pki/ca.crt" -Verify 1 -verify_return_error -naccept 1 -quiet >"$tmp/s_server2.log" 2>&1 &
        server=$!
        sleep 1
        echo ping | timeout 10 openssl s_client -connect "127.0.0.1:$port" -CAfile "$pki/ca.crt" -brief >/dev/null 2>&1
        sleep 0.5
        if grep -qi 'peer did not return a certificate\|no certificate' "$tmp/s_server2.log"; then
            ok "controller refuses an agent without a certificate"
        else
            bad "controller refuses an agent without a certificate" "$(cat "$tmp/s_server2.log")"
        fi
        kill "$server" 2>/dev/null; wait "$server" 2>/dev/null
    else
        bad "make-certs.sh" "$out"
    fi
else
    skip "make-certs.sh (no openssl)"
fi

echo "check: $skipped skipped"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
