#!/usr/bin/perl
# Checks of the dashboard tier (test/dashboard/run), perl core only:
#   check.pl numbers PAGE.html            the page's numbers, one line each:
#                                         report|currency|row|column|value
#   check.pl compare PAGE.html EXPECTED   the page's numbers equal EXPECTED's (same lines,
#                                         numbers compared as numbers), both ways
#   check.pl png FILE.png                 a screenshot that shows something: decoded, it
#                                         has many colours and is not one background colour
use strict;
use warnings;
use Compress::Zlib qw(uncompress);

binmode STDOUT, ':encoding(UTF-8)';
my $cmd = shift // '';

sub slurp {
    my ($file, $layer) = @_;
    open my $fh, "<$layer", $file or die "cannot read $file: $!\n";
    local $/;
    return scalar <$fh>;
}

sub text_of {
    my ($s) = @_;
    $s =~ s/<[^>]*>//g;
    my %ent = (amp => '&', lt => '<', gt => '>', quot => '"', apos => "'");
    $s =~ s/&(amp|lt|gt|quot|apos);/$ent{$1}/g;
    $s =~ s/&#(\d+);/chr($1)/ge;
    $s =~ s/&#x([0-9a-fA-F]+);/chr(hex $1)/ge;
    return $s;
}

# a number as the page shows it (1,234.50, −36.00, 100.00 %) to a plain one; text as is
sub plain {
    my ($s) = @_;
    (my $n = $s) =~ s/\x{2212}/-/g;
    $n =~ s/^[A-Z]{3} //;    # a headline figure: USD 1,980.00
    if ($n =~ /^-?[0-9][0-9,]*(\.[0-9]+)?( %)?$/) {
        my $pct = $n =~ s/ %$//;
        $n =~ s/,//g;
        return $pct ? $n / 100 : $n;
    }
    return $s;
}

# report|currency|row|column => value, from the numbers tables and the headline figures
sub page_numbers {
    my ($html) = @_;
    my %got;
    while ($html =~ m{<table class="numbers" data-report="([^"]*)" data-currency="([^"]*)">(.*?)</table>}gs) {
        my ($report, $currency, $body) = ($1, $2, $3);
        my ($head) = $body =~ m{<thead>(.*?)</thead>}s or die "table $report $currency has no header\n";
        my @cols = $head =~ m{data-col="([^"]*)"}g;
        while ($body =~ m{<tr data-key="([^"]*)"[^>]*>(.*?)</tr>}gs) {
            my ($key, $row) = ($1, $2);
            my @cells = map { text_of($_) } $row =~ m{<td[^>]*>(.*?)</td>}gs;
            @cells == @cols or die "table $report $currency row $key has " . @cells . " cells for " . @cols . " columns\n";
            $got{join '|', $report, $currency, text_of($key), $cols[$_]} = plain($cells[$_]) for 0 .. $#cols;
        }
    }
    while ($html =~ m{<section class="currency" data-currency="([^"]*)">(.*?)</section>}gs) {
        my ($currency, $section) = ($1, $2);
        while ($section =~ m{<div class="kpi" data-key="([^"]*)">.*?<span class="v">(.*?)</span>}gs) {
            $got{join '|', 'kpi', $currency, $1, 'value'} = plain(text_of($2));
        }
    }
    return \%got;
}

sub same {
    my ($a, $b) = @_;
    my $num = qr/^-?[0-9]+(\.[0-9]+)?(e-?[0-9]+)?$/;
    return abs($a - $b) < 1e-9 * (1 + abs($b)) if $a =~ $num && $b =~ $num;
    return $a eq $b;
}

if ($cmd eq 'numbers') {
    my $got = page_numbers(slurp(shift, ':encoding(UTF-8)'));
    print "$_|$got->{$_}\n" for sort keys %$got;
} elsif ($cmd eq 'compare') {
    my ($page, $expected) = @ARGV;
    my $got = page_numbers(slurp($page, ':encoding(UTF-8)'));
    my %want;
    for (split /\n/, slurp($expected, ':encoding(UTF-8)')) {
        my @f = split /\|/, $_, -1;
        @f == 5 or die "bad expected line: $_\n";
        $want{join '|', @f[0 .. 3]} = $f[4];
    }
    my @bad;
    for my $k (sort keys %want) {
        if (!exists $got->{$k}) { push @bad, "missing from the page: $k = $want{$k}" }
        elsif (!same($got->{$k}, $want{$k})) { push @bad, "differs: $k page $got->{$k}, report $want{$k}" }
    }
    push @bad, map { "not expected on the page: $_ = $got->{$_}" } grep { !exists $want{$_} } sort keys %$got;
    if (@bad) {
        print "$_\n" for @bad[0 .. ($#bad < 39 ? $#bad : 39)];
        print scalar(@bad) . " differences\n";
        exit 1;
    }
    print scalar(keys %want) . " numbers equal\n";
} elsif ($cmd eq 'png') {
    my $png = slurp(shift, ':raw');
    substr($png, 0, 8) eq "\x89PNG\r\n\x1a\n" or die "not a PNG file\n";
    my ($pos, $idat, $w, $h, $depth, $type, $interlace) = (8, '');
    while ($pos < length $png) {
        my ($len, $tag) = unpack 'N a4', substr($png, $pos, 8);
        my $data = substr($png, $pos + 8, $len);
        ($w, $h, $depth, $type, undef, undef, $interlace) = unpack 'N N C C C C C', $data if $tag eq 'IHDR';
        $idat .= $data if $tag eq 'IDAT';
        $pos += 12 + $len;
    }
    my %bpp = (2 => 3, 6 => 4);
    ($depth == 8 && $bpp{$type} && !$interlace) or die "PNG of depth $depth, colour type $type, interlace $interlace: not read here\n";
    my $bpp = $bpp{$type};
    my $raw = uncompress($idat) // die "PNG data does not inflate\n";
    my $stride = $w * $bpp;
    my @prev = (0) x $stride;
    my (%colours, $n);
    # the top 900 rows (header, headline figures, the first charts) are enough to tell a
    # page from a blank one, and decoding in perl costs about a second per 300 rows
    my $rows = $h < 900 ? $h : 900;
    for my $y (0 .. $rows - 1) {
        my $filter = ord substr($raw, $y * ($stride + 1), 1);
        my @cur = unpack 'C*', substr($raw, $y * ($stride + 1) + 1, $stride);
        for my $i (0 .. $stride - 1) {
            my $a = $i >= $bpp ? $cur[$i - $bpp] : 0;
            my $b = $prev[$i];
            my $c = $i >= $bpp ? $prev[$i - $bpp] : 0;
            if ($filter == 1) { $cur[$i] = ($cur[$i] + $a) & 255 }
            elsif ($filter == 2) { $cur[$i] = ($cur[$i] + $b) & 255 }
            elsif ($filter == 3) { $cur[$i] = ($cur[$i] + (($a + $b) >> 1)) & 255 }
            elsif ($filter == 4) {
                my $p = $a + $b - $c;
                my ($pa, $pb, $pc) = (abs($p - $a), abs($p - $b), abs($p - $c));
                $cur[$i] = ($cur[$i] + ($pa <= $pb && $pa <= $pc ? $a : $pb <= $pc ? $b : $c)) & 255;
            }
        }
        # every third pixel of every third row is enough to tell a page from a blank
        if ($y % 3 == 0) {
            for (my $i = 0; $i < $stride; $i += 3 * $bpp) {
                $colours{join ',', @cur[$i .. $i + 2]}++;
                $n++;
            }
        }
        @prev = @cur;
    }
    my ($background) = sort { $colours{$b} <=> $colours{$a} } keys %colours;
    my $other = 1 - $colours{$background} / $n;
    my $distinct = keys %colours;
    printf "screenshot %dx%d: %d colours, %.1f %% of the top %d rows not the background (rgb %s)\n",
        $w, $h, $distinct, 100 * $other, $rows, $background;
    exit($distinct >= 16 && $other >= 0.05 ? 0 : 1);
} else {
    die "usage: check.pl numbers PAGE | compare PAGE EXPECTED | png FILE\n";
}
