#!/usr/bin/perl
# The doc tests' engine (called by test/docs/run, which sets PGHOST etc.): for each
# Markdown page given, create a fresh database with the extension, run the setup files the
# page names, then the page's ```sql blocks in order in one psql session, and compare each
# block's output with the ```text block that immediately follows it. With --update,
# rewrite those ```text blocks with the real output instead of comparing.
#
# Conventions (docs/testing.md, "Doc tests"):
#   <!-- setup: demo/30_contracts.sql demo/45_usage.sql -->   files run first, output ignored
#   ```sql            an example; run (ON_ERROR_STOP on)
#   ```text           right after an sql block (next line): its output, compared
#                     (an output with a line starting "ERROR:" is run with ON_ERROR_STOP off)
#   ```sql norun      shown, never run (needs something the test cluster lacks, e.g. pg_cron)
#   <!-- excerpt: expected/changes.out -->   on the line before a block: its lines must be in
#                     that file, in order (a quoted pg_regress output)
# An sql block with no ```text block after it is setup: it runs, its output is not compared.
use strict;
use warnings;
use File::Temp qw(tempdir);
use Time::HiRes qw(time);

my $update = 0;
my @pages;
for (@ARGV) { if ($_ eq '--update') { $update = 1 } else { push @pages, $_ } }
my $root = $ENV{RR_ROOT} or die "RR_ROOT is not set\n";
my $tmp = tempdir(CLEANUP => 1);
my ($npages, $nblocks, $ncompared, $nnorun, $nexcerpts, $failed) = (0, 0, 0, 0, 0, 0);

# fresh databases are copies of templates: the extension just created, and the state each
# list of setup files leaves (a setup file runs once per test run, not once per page)
my %template = ("" => "rr_docs_template");
system("dropdb --if-exists rr_docs_template 2>\/dev\/null") == 0 or die "dropdb failed\n";
system('createdb', 'rr_docs_template') == 0 or die "createdb failed\n";
psql_q('rr_docs_template', '-c', 'CREATE EXTENSION recurring_revenue') == 0 or die "CREATE EXTENSION failed\n";
END { local $?; system("dropdb --if-exists $_ 2>/dev/null") for values %template; }

sub trimmed {
    my @l = map { my $x = $_; $x =~ s/\s+$//; $x } @_;
    shift @l while @l && $l[0] eq '';
    pop @l while @l && $l[-1] eq '';
    return @l;
}

sub psql_q { my ($db, @args) = @_; return system('psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $db, @args); }

for my $page (@pages) {
    my $t0 = time;
    $npages++;
    open(my $fh, '<', $page) or die "cannot read $page: $!\n";
    my @lines = <$fh>;
    close $fh;
    chomp @lines;

    # the page's fenced blocks, in order
    my (@blocks, @setup);
    for (my $i = 0; $i < @lines; $i++) {
        if ($lines[$i] =~ /<!--\s*setup:\s*(.*?)\s*-->/) { push @setup, split ' ', $1; next; }
        next unless $lines[$i] =~ /^(\s*)(```+|~~~+)\s*([^`\s]*)\s*(.*)$/;
        my ($indent, $fence, $lang, $info) = ($1, $2, $3, $4);
        my $j = $i + 1;
        $j++ while $j < @lines && $lines[$j] !~ /^\s*\Q$fence\E\s*$/;
        die "$page:" . ($i + 1) . ": unclosed code block\n" if $j >= @lines;
        my @body = map { my $x = $_; $x =~ s/^\Q$indent\E//; $x } @lines[$i + 1 .. $j - 1];
        my $excerpt = ($i > 0 && $lines[$i - 1] =~ /<!--\s*excerpt:\s*(\S+)\s*-->/) ? $1 : undef;
        push @blocks, { lang => $lang, info => $info, open => $i, close => $j,
                        indent => $indent, body => \@body };
        $blocks[-1]{excerpt} = $excerpt;
        $i = $j;
    }
    # an excerpt of a file (a pg_regress expected output): its lines must be in that file, in order
    for my $b (grep { $_->{excerpt} } @blocks) {
        $nexcerpts++;
        open(my $xf, '<', "$root/$b->{excerpt}") or die "$page: cannot read $b->{excerpt}: $!\n";
        my @file = trimmed(<$xf>);
        close $xf;
        chomp @file;
        my $at = 0;
        for my $l (grep { $_ ne '' } trimmed(@{ $b->{body} })) {
            $at++ while $at < @file && $file[$at] !~ /^\Q$l\E\s*$/;
            if ($at >= @file) {
                print "docs FAILED $page:" . ($b->{open} + 1) . ": not in $b->{excerpt} (in this order): $l\n";
                $failed++;
                last;
            }
            $at++;
        }
    }
    # pair each sql block with the text block that starts on the line after it ends
    my @examples;
    for (my $k = 0; $k < @blocks; $k++) {
        my $b = $blocks[$k];
        next unless $b->{lang} eq 'sql';
        if ($b->{info} =~ /\bnorun\b/) { $nnorun++; next; }
        my $out = ($k + 1 < @blocks && $blocks[$k + 1]{open} == $b->{close} + 1
                   && $blocks[$k + 1]{lang} eq 'text') ? $blocks[$k + 1] : undef;
        push @examples, { sql => $b, out => $out };
    }
    next unless @examples;

    (my $db = "rr_docs_" . lc($page)) =~ s/[^a-z0-9_]+/_/g;
    system("dropdb --if-exists $db 2>/dev/null") == 0 or die "dropdb $db failed\n";
    # a copy of the database left by the longest list of the same setup files that an earlier
    # page ran (the first: one with nothing but the extension), then the rest of the files
    my $k = @setup;
    $k-- while $k > 0 && !exists $template{ join(" ", @setup[0 .. $k - 1]) };
    system('createdb', '-T', $template{ join(" ", @setup[0 .. $k - 1]) }, $db) == 0
        or die "createdb $db failed\n";
    my $setup_ok = 1;
    for my $s (@setup[$k .. $#setup]) {
        if (system("psql -X -q -v ON_ERROR_STOP=1 -d $db -f '$root/$s' >$tmp/setup.out 2>&1") != 0) {
            print "docs FAILED $page: setup file $s failed:\n";
            system("tail -n 20 $tmp/setup.out");
            $setup_ok = 0;
            last;
        }
    }
    unless ($setup_ok) { $failed++; system('dropdb', $db); next; }
    if ($k < @setup) {
        my $t = "rr_docs_template_" . scalar(keys %template);
        system("dropdb --if-exists $t 2>\/dev\/null; createdb -T $db $t") == 0 or die "createdb $t failed\n";
        $template{"@setup"} = $t;
    }

    # one psql session for the whole page, a marker before each block
    open(my $in, '>', "$tmp/page.sql") or die;
    for my $n (0 .. $#examples) {
        my $e = $examples[$n];
        my $errors = $e->{out} && grep { /^ERROR:/ } @{ $e->{out}{body} };
        print $in "\\echo '<<<rr-docs-block $n>>>'\n";
        print $in "\\set ON_ERROR_STOP 0\n" if $errors;
        print $in join("\n", @{ $e->{sql}{body} }), "\n";
        print $in "\\set ON_ERROR_STOP 1\n" if $errors;
    }
    print $in "\\echo '<<<rr-docs-block end>>>'\n";
    close $in;
    # from stdin, so that errors carry no "psql:file:line:" prefix
    my $rc = system("psql -X -q -v ON_ERROR_STOP=1 -P pager=off -d $db <$tmp/page.sql >$tmp/page.out 2>&1");
    open(my $o, '<', "$tmp/page.out") or die;
    my @got = <$o>;
    close $o;
    chomp @got;
    my (%actual, $cur);
    for (@got) {
        if (/^<<<rr-docs-block (\d+|end)>>>$/) { $cur = $1; $actual{$cur} = []; next; }
        push @{ $actual{$cur} }, $_ if defined $cur;
    }
    system('dropdb', $db);

    my $page_failed = 0;
    for my $n (0 .. $#examples) {
        my $e = $examples[$n];
        $nblocks++;
        my $line = $e->{sql}{open} + 1;
        unless (exists $actual{$n} && ($n == $#examples ? exists $actual{end} : exists $actual{$n + 1})) {
            print "docs FAILED $page:$line: the example stopped psql (an error outside a block whose output shows ERROR):\n";
            print "  $_\n" for trimmed(@{ $actual{$n} // [] });
            $page_failed = 1;
            last;
        }
        next unless $e->{out};
        $ncompared++;
        my @want = trimmed(@{ $e->{out}{body} });
        my @have = trimmed(@{ $actual{$n} });
        if ($update) {
            $e->{out}{new} = \@have;
        } elsif (join("\n", @want) ne join("\n", @have)) {
            $page_failed = 1;
            print "docs FAILED $page:$line: output differs (- in the page, + real):\n";
            open(my $w, '>', "$tmp/want") or die; print $w map { "$_\n" } @want; close $w;
            open(my $h, '>', "$tmp/have") or die; print $h map { "$_\n" } @have; close $h;
            system("diff -u $tmp/want $tmp/have | tail -n +3");
        }
    }
    if ($rc != 0 && !$page_failed) {
        print "docs FAILED $page: psql exited with status " . ($rc >> 8) . "\n";
        $page_failed = 1;
    }
    if ($update && !$page_failed) {
        # rewrite the text blocks from the last one up, so earlier line numbers stay valid
        for my $e (reverse grep { $_->{out} } @examples) {
            my $ind = $e->{out}{indent};
            splice(@lines, $e->{out}{open} + 1, $e->{out}{close} - $e->{out}{open} - 1,
                   map { $_ eq '' ? '' : "$ind$_" } @{ $e->{out}{new} });
        }
        open(my $wf, '>', $page) or die "cannot write $page: $!\n";
        print $wf map { "$_\n" } @lines;
        close $wf;
    }
    $failed++ if $page_failed;
    printf STDERR "%-32s %5.1f s\n", $page, time - $t0 if $ENV{RR_DOCS_TIMING};
}
my $what = $update ? "rewritten" : "compared";
printf "docs %s: %d pages, %d examples run, %d outputs %s, %d excerpts checked, %d shown only (norun)%s\n",
    $failed ? 'FAILED' : 'ok', $npages, $nblocks, $ncompared, $what, $nexcerpts, $nnorun,
    $failed ? ", $failed failures" : '';
exit($failed ? 1 : 0);
