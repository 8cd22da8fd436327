#!/usr/bin/env perl
# Reads the notices of auto_explain (log_format json, log_level notice, log_analyze,
# log_buffers, log_nested_statements) for one top-level statement and prints two numbers:
#   - the buffers the statement touched: shared and local, hit and read, as counted by the
#     top node of its own plan (the last one reported; that count includes its nested
#     statements');
#   - the rows every plan node of every statement produced, each node's rows times its
#     loops: the work of a plan that rescans something once per row, which touches no more
#     buffers (a sort or a tuplestore rescanned in memory) but produces rows.
use strict;
use warnings;
use JSON::PP;

my $text = do { local $/; <STDIN> };
my @plans;
# each notice: "NOTICE:  duration: 1.234 ms  plan:" then the JSON object, ending with a
# closing brace alone on its line
while ($text =~ /^NOTICE:  duration: [\d.]+ ms  plan:\n(\{.*?^\})$/msg) {
    push @plans, decode_json($1);
}
die "no plan reported\n" unless @plans;

sub rows {
    my ($node) = @_;
    my $n = ($node->{'Actual Rows'} // 0) * ($node->{'Actual Loops'} // 0);
    $n += rows($_) for @{ $node->{Plans} // [] };
    return $n;
}

my $rows = 0;
for my $p (@plans) {
    my $r = rows($p->{Plan});
    $rows += $r;
    # PLANS_DETAIL=1: each statement's rows, on stderr (to find the plan that grows)
    printf STDERR "%12d %s\n", $r, substr(join(' ', split(' ', $p->{'Query Text'} // '')), 0, 100)
        if $ENV{PLANS_DETAIL};
}
my $top = $plans[-1]{Plan};
my $buffers = 0;
$buffers += $top->{$_} // 0
    for ('Shared Hit Blocks', 'Shared Read Blocks', 'Local Hit Blocks', 'Local Read Blocks');
printf "%d %d\n", $buffers, $rows;
