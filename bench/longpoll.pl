#!/usr/bin/perl
# bench/longpoll.pl — N long-poll clients for bench/run.sh (case longpoll), in one process.
#
#   perl bench/longpoll.pl PORT TOKEN AFTER N WAIT
#
# Opens N connections to 127.0.0.1:PORT and sends on each
#   GET /v1/events?after=AFTER&wait=WAIT   (Authorization: Bearer TOKEN, Connection: close)
# then prints "SENT N <epoch>" and waits for the answers (at most WAIT + 15 s). For every answer
# it prints "ANSWER <epoch> <status> <items>" (items: 1 when the page has events, 0 when empty),
# for every connection that failed or got no answer "FAILED <reason>", and at the end
#   "DONE answered=N non2xx=N failed=N with_events=N"
# Times are wall-clock epoch seconds with microseconds (Time::HiRes), comparable with
# `date +%s.%N` in the shell. Perl with Time::HiRes and IO::Socket comes with PostgreSQL's
# own scripts (postgresql-common), so nothing is installed for this.
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;
use Time::HiRes qw(time);

my ($port, $token, $after, $n, $wait) = @ARGV;
die "usage: longpoll.pl PORT TOKEN AFTER N WAIT\n" unless defined $wait;
$| = 1;

my $sel = IO::Select->new;
my (%buf, %sock);
my $failed = 0;
for my $i (1 .. $n) {
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp');
	unless ($s) {
		print "FAILED connect: $!\n";
		$failed++;
		next;
	}
	$s->autoflush(1);
	my $req = "GET /v1/events?after=$after&wait=$wait HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		. "Authorization: Bearer $token\r\nConnection: close\r\n\r\n";
	unless (defined syswrite($s, $req)) {
		print "FAILED write: $!\n";
		$failed++;
		close $s;
		next;
	}
	$sel->add($s);
	$buf{"$s"} = '';
}
printf "SENT %d %.6f\n", $sel->count, time;

my ($answered, $non2xx, $with_events) = (0, 0, 0);
my $deadline = time + $wait + 15;
while ($sel->count && time < $deadline) {
	for my $s ($sel->can_read(0.2)) {
		my $r = sysread($s, my $chunk, 65536);
		my $t = time;
		if ($r) {
			$buf{"$s"} .= $chunk;
			# complete once the headers and Content-Length bytes of body are in (the server may
			# close the connection later; the client has its answer now)
			my $b = $buf{"$s"};
			my $h = index($b, "\r\n\r\n");
			next if $h < 0;
			my ($len) = substr($b, 0, $h) =~ /^Content-Length:\s*(\d+)/im;
			next if !defined $len || length($b) < $h + 4 + $len;
		}
		my $b = delete $buf{"$s"};
		$sel->remove($s);
		close $s;
		if (!defined $r) {
			print "FAILED read: $!\n";
			$failed++;
			next;
		}
		my ($status) = $b =~ m{^HTTP/1\.[01] (\d{3})};
		unless ($status) {
			print "FAILED no response (" . length($b) . " bytes)\n";
			$failed++;
			next;
		}
		my $items = $b =~ /"items"\s*:\s*\[\s*\{/ ? 1 : 0;
		$answered++;
		$non2xx++ if $status < 200 || $status > 299;
		$with_events += $items;
		printf "ANSWER %.6f %d %d\n", $t, $status, $items;
	}
}
for my $s ($sel->handles) {
	print "FAILED no answer within " . ($wait + 15) . " s\n";
	$failed++;
	close $s;
}
print "DONE answered=$answered non2xx=$non2xx failed=$failed with_events=$with_events\n";
exit 0;
