#!/usr/bin/perl
# bench/slowloris.pl — slow clients for bench/run.sh (case slowloris), in one process.
#
#   perl bench/slowloris.pl PORT N SECONDS [EVERY]
#
# Holds N connections to 127.0.0.1:PORT, spread over the local addresses 127.0.0.2..127.0.0.6
# (all of 127.0.0.0/8 is loopback on Linux), each sending the start of a request
# ("GET /healthz HTTP/1.1", "Host: ...") and then one more header line every EVERY seconds
# (5) — never the empty line that would end the headers. A connection the daemon closes
# (its header deadline) is opened again at once. Prints "READY held=N" once all N have been
# opened, "STATUS t=S held=N reopened=N refused=N" every EVERY seconds and, after SECONDS,
# "DONE held=N reopened=N refused=N". Only core Perl (IO::Socket::INET, Time::HiRes).
use strict;
use warnings;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);

my ($port, $n, $seconds, $every) = @ARGV;
die "usage: slowloris.pl PORT N SECONDS [EVERY]\n" unless defined $seconds;
$every //= 5;
$| = 1;
$SIG{PIPE} = 'IGNORE';

my @src = map { "127.0.0.$_" } 2 .. 6;
my (@sock, $reopened, $refused);
$reopened = $refused = 0;

sub open_one {
	my ($i) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp',
		LocalAddr => $src[$i % @src], Timeout => 5);
	unless ($s) {
		$refused++;
		return undef;
	}
	$s->autoflush(1);
	return undef unless defined syswrite($s, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
	return $s;
}

for my $i (0 .. $n - 1) { $sock[$i] = open_one($i); }
my $held = grep { defined } @sock;
print "READY held=$held\n";

my $t0 = time;
my $line = 0;
while (time - $t0 < $seconds) {
	sleep($every);
	$line++;
	for my $i (0 .. $n - 1) {
		my $s = $sock[$i];
		if (!$s || !defined syswrite($s, "X-Slow-$line: 1\r\n")) {
			close($s) if $s;
			$sock[$i] = open_one($i);
			$reopened++;
		}
	}
	$held = grep { defined } @sock;
	printf "STATUS t=%.0f held=%d reopened=%d refused=%d\n", time - $t0, $held, $reopened, $refused;
}
print "DONE held=$held reopened=$reopened refused=$refused\n";
