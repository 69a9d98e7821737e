#!/bin/bash
# Writes xgro(8) in roff to stdout from the CLI's own help: the commands
# (xgro --help), each command's options (xgro CMD --help) and every
# setting (xgro attach --help, from the settings table). Only what no
# help says is written here: files, exit codes, examples.
#   scripts/gen-man.sh build/xgro > build/xgro.8
set -euo pipefail
X=${1:?usage: $0 path/to/xgro}
ver=$("$X" --version | cut -d' ' -f2)

esc() { sed -e 's/\\/\\e/g' -e 's/^\([.'"'"']\)/\\\&\1/' -e 's/-/\\-/g'; }
# "  --name ARG   help" lines (two spaces or more between) as .TP items;
# attach marks the live settings with "* "
items() {
	local l left right
	sed -n 's/^  \(--*[^ ].*\)$/\1/p' | while IFS= read -r l; do
		left=${l%%  *}
		right=${l#"$left"}
		right=${right#"${right%%[! ]*}"}
		if [[ $right == "* "* ]]; then
			right="${right#\* } Live: xgro set changes it."
		fi
		printf '.TP\n.B %s\n%s\n' "$(esc <<<"$left")" "$(esc <<<"$right")"
	done
}

cat <<H
.TH XGRO 8 "" "xgro $ver" "System Administration"
.SH NAME
xgro \\- receive aggregation (software GRO) on XDP and AF_XDP
.SH SYNOPSIS
H
"$X" --help | sed -n 's/^  \([a-z]\+\) \+\(.*[^ ]\)  \+.*/.B xgro \1\n\2\n.br/p' | esc | sed 's/^\\&\.br$/.br/;s/^\\&\.B /.B /'
cat <<'H'
.SH DESCRIPTION
xgro merges the consecutive MTU-sized segments of TCP and UDP flows
into super-packets of up to 64 KB before the kernel's network stack sees
them: an XDP program steers bulk flows into AF_XDP sockets, one worker
per RX queue merges them, and the result enters the stack through a tap
device (or a veth end) with a virtio_net_hdr describing the GSO layout.
.B attach
runs in the foreground until SIGINT or SIGTERM; the other commands read
the instance's pinned maps and its state file.
.SH COMMANDS
H
"$X" --help | sed -n 's/^  \([a-z]\+\) \+\(.*[^ ]\)  \+\(.*\)$/.TP\n.B xgro \1 \2\n\3/p' | esc | sed 's/^\\&\.\(TP\|B \)/.\1/'
echo '.SH ATTACH OPTIONS'
echo 'Each setting is also a key of the configuration file (below).'
"$X" attach --help | items
for c in detach status stats flows set; do
	echo ".SH $(tr a-z A-Z <<<"$c") OPTIONS"
	"$X" $c --help | sed -n 1p | sed 's/^usage: //' | esc | sed 's/^/.B /'
	"$X" $c --help | sed -n '2,$p' | grep -v '^keys:' | items
done
cat <<'H'
.SH CONFIGURATION FILE
.B xgro attach IFACE \-\-config FILE
reads settings from FILE, one
.I KEY = VALUE
a line, KEY a setting above without its dashes; spaces around = are
optional, # starts a comment, blank lines are skipped. A flag
(zero\-copy, copy, busy\-poll) takes
.BR on .
Options on the command line win over the file. An unknown key or a bad
value is one line naming the file, the line and the key, and exit
status 2.
.B xgro status
shows where each value came from:
.BR default ,
.BR file ,
.B command\-line
or
.BR set .
The systemd unit xgro@IFACE reads /etc/xgro/IFACE.conf.
.SH FILES
.TP
.B /run/xgro/IFACE.state, /run/xgro/IFACE.pid
an instance's state, written by attach, read by the other commands; what
detach undoes after a crash (pins, sysctls); pin\-DIR names with \-\-pin\-dir
.TP
.B /sys/fs/bpf/xgro/IFACE/
the pinned maps (config, counters, flows, steer, heartbeat, worker_stats,
xsks), with BTF, for bpftool
.TP
.B /etc/xgro/IFACE.conf
the configuration of the xgro@IFACE service
.TP
.B /proc/sys/net/ipv4/conf/all/rp_filter
set to 0 while attached with the tap sink, when on; restored on exit
.SH EXIT STATUS
.TP
.B 0
success
.TP
.B 1
a runtime error: one line naming the object and the cause
.TP
.B 2
a usage error: a bad option, key or value
.SH ENVIRONMENT
.TP
.B NOTIFY_SOCKET
set by systemd for Type=notify: attach sends READY=1 once the program is
attached and every worker runs, STOPPING=1 when it detaches
.SH EXAMPLES
.nf
xgro attach eth1 \-\-flush\-us 100 \-\-csum fold \-\-cpus 0\-3
xgro attach eth1 \-\-config /etc/xgro/eth1.conf \-\-flush\-us 20
xgro status eth1
xgro stats eth1 \-\-watch 1
xgro stats eth1 \-\-prometheus > /var/lib/prometheus/node\-exporter/xgro\-eth1.prom
xgro set eth1 flush\-us=200 csum=trust
xgro detach eth1
systemctl enable \-\-now xgro@eth1
.fi
.SH SEE ALSO
.BR bpftool (8),
.BR systemd.exec (5),
.BR ip (8)
H
