package dev.jobs.core;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.zone.ZoneOffsetTransition;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Occurrences at the local times a cron expression names, in a time zone.
 *
 * <p><b>Syntax.</b> Five fields, {@code minute hour day-of-month month day-of-week}, or six with
 * {@code second} in front. A field is {@code *} (every value), a value, a range {@code a-b}, a list
 * {@code a,b,c} of those, or any of them with a step: {@code *}{@code /15}, {@code 10-50/20}, and
 * {@code 5/15} (from 5 to the field's end, every 15). Months may be named {@code JAN}–{@code DEC}
 * and days {@code SUN}–{@code SAT}, in any case; a day of week is 0–7, 0 and 7 both Sunday; {@code
 * ?} is {@code *} in the two day fields. {@code @yearly} ({@code @annually}), {@code @monthly},
 * {@code @weekly}, {@code @daily} ({@code @midnight}) and {@code @hourly} stand for the usual five
 * fields. When both day fields are restricted (neither starts with {@code *} or {@code ?}), a day
 * matches if either does, as in POSIX and Vixie cron: {@code 0 9 1 * MON} is nine o'clock on the
 * first of the month and on every Monday. {@code L}, {@code W} and {@code #} are not supported and
 * are rejected, not ignored.
 *
 * <p><b>When clocks change</b> (read in the zone, as a person there would):
 *
 * <ul>
 *   <li>a local time the clocks skip (02:30 when they go from 02:00 straight to 03:00) happens that
 *       day as far after the change as it was after its start (03:30), once;
 *   <li>a local time the clocks show twice (01:30 when they go back from 02:00 to 01:00) happens at
 *       its first showing only, unless the hour field is {@code *}: a schedule that runs every hour
 *       runs in both, so that it still runs once per hour of real time.
 * </ul>
 *
 * <p>Immutable and thread-safe.
 */
public final class CronSchedule implements Schedule {
    /** Long enough to reach the next 29th of February from any date (eight years, across 2100). */
    private static final int SEARCH_YEARS = 9;

    private static final Pattern ALLOWED = Pattern.compile("[0-9A-Za-z*?,/-]+");

    private static final Map<String, String> MACROS = Map.of(
            "@yearly", "0 0 1 1 *",
            "@annually", "0 0 1 1 *",
            "@monthly", "0 0 1 * *",
            "@weekly", "0 0 * * 0",
            "@daily", "0 0 * * *",
            "@midnight", "0 0 * * *",
            "@hourly", "0 * * * *");

    private static final List<String> MONTH_NAMES =
            List.of("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC");
    private static final List<String> DAY_NAMES = List.of("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT");

    /** A field's name, its values and the names that stand for values (the first for {@code base}). */
    private record Field(String name, int min, int max, List<String> names, int base) {
        static final Field SECOND = new Field("second", 0, 59, List.of(), 0);
        static final Field MINUTE = new Field("minute", 0, 59, List.of(), 0);
        static final Field HOUR = new Field("hour", 0, 23, List.of(), 0);
        static final Field DAY_OF_MONTH = new Field("day of month", 1, 31, List.of(), 0);
        static final Field MONTH = new Field("month", 1, 12, MONTH_NAMES, 1);
        static final Field DAY_OF_WEEK = new Field("day of week", 0, 7, DAY_NAMES, 0);

        boolean isDay() {
            return this == DAY_OF_MONTH || this == DAY_OF_WEEK;
        }
    }

    private final String expression;
    private final ZoneId zone;
    private final BitSet seconds;
    private final BitSet minutes;
    private final BitSet hours;
    private final BitSet daysOfMonth;
    private final BitSet months;
    private final BitSet daysOfWeek;
    private final boolean everyHour;
    private final boolean daysOfMonthRestricted;
    private final boolean daysOfWeekRestricted;

    private CronSchedule(String expression, ZoneId zone, String[] fields) {
        this.expression = expression;
        this.zone = zone;
        int i = fields.length == 6 ? 1 : 0;
        this.seconds = fields.length == 6 ? parse(expression, Field.SECOND, fields[0]) : single(0);
        this.minutes = parse(expression, Field.MINUTE, fields[i]);
        this.hours = parse(expression, Field.HOUR, fields[i + 1]);
        this.daysOfMonth = parse(expression, Field.DAY_OF_MONTH, fields[i + 2]);
        this.months = parse(expression, Field.MONTH, fields[i + 3]);
        BitSet week = parse(expression, Field.DAY_OF_WEEK, fields[i + 4]);
        if (week.get(7)) {
            week.set(0); // 7 is Sunday too
            week.clear(7);
        }
        this.daysOfWeek = week;
        this.everyHour = hours.cardinality() == 24;
        this.daysOfMonthRestricted = restricts(fields[i + 2]);
        this.daysOfWeekRestricted = restricts(fields[i + 4]);
    }

    /**
     * Reads {@code expression} in {@code zone}.
     *
     * @throws JobValidationException (field {@code cron}) saying which field is wrong and what it
     *     allows, or that no date ever matches
     */
    public static CronSchedule parse(String expression, ZoneId zone) {
        Objects.requireNonNull(expression, "expression");
        Objects.requireNonNull(zone, "zone");
        String trimmed = expression.strip();
        String spelled = MACROS.getOrDefault(trimmed.toLowerCase(Locale.ROOT), trimmed);
        if (spelled.startsWith("@")) {
            throw invalid(
                    expression,
                    "is not a macro this schedule knows; known: "
                            + String.join(
                                    ", ", MACROS.keySet().stream().sorted().toList()));
        }
        String[] fields = spelled.isEmpty() ? new String[0] : spelled.split("\\s+");
        if (fields.length != 5 && fields.length != 6) {
            throw invalid(
                    expression,
                    "has " + fields.length + " fields; five are needed (minute hour day-of-month month"
                            + " day-of-week), or six with the second first");
        }
        var schedule = new CronSchedule(expression, zone, fields);
        if (schedule.nextLocal(LocalDateTime.of(2000, 1, 1, 0, 0)).isEmpty()) {
            throw invalid(expression, "no date ever matches its day of month and month");
        }
        return schedule;
    }

    /** The expression as given. */
    public String expression() {
        return expression;
    }

    /** The zone whose local times the expression names. */
    public ZoneId zone() {
        return zone;
    }

    @Override
    public Optional<Instant> nextAfter(Instant instant) {
        LocalDateTime start = searchStart(instant);
        Instant best = null;
        Optional<LocalDateTime> local = nextLocal(start);
        while (local.isPresent()) {
            List<Instant> occurrences = instantsOf(local.get());
            // The first showing of each local time only grows with the local time: once it is past
            // the best found, no later local time can beat it.
            if (best != null && !occurrences.get(0).isBefore(best)) {
                break;
            }
            for (Instant occurrence : occurrences) {
                if (occurrence.isAfter(instant) && (best == null || occurrence.isBefore(best))) {
                    best = occurrence;
                }
            }
            local = nextLocal(local.get().plusSeconds(1));
        }
        return Optional.ofNullable(best);
    }

    /**
     * The local time the search for the next occurrence after {@code instant} starts at: its own,
     * or, near a change that turns the clocks back, the start of the local times shown again after
     * it (those before this instant's own local time may fall after it).
     */
    private LocalDateTime searchStart(Instant instant) {
        LocalDateTime start = LocalDateTime.ofInstant(instant, zone).truncatedTo(ChronoUnit.SECONDS);
        var rules = zone.getRules();
        for (ZoneOffsetTransition change :
                Arrays.asList(rules.previousTransition(instant.plusNanos(1)), rules.nextTransition(instant))) {
            if (change == null || !change.isOverlap()) {
                continue;
            }
            var length = change.getDuration().abs();
            boolean near = !instant.isBefore(change.getInstant().minus(length))
                    && instant.isBefore(change.getInstant().plus(length));
            if (near && change.getDateTimeAfter().isBefore(start)) {
                start = change.getDateTimeAfter();
            }
        }
        return start;
    }

    /** The instants a matching local time stands for, earliest first. */
    private List<Instant> instantsOf(LocalDateTime local) {
        List<ZoneOffset> offsets = zone.getRules().getValidOffsets(local);
        if (offsets.isEmpty()) {
            // Skipped by the clocks: ZonedDateTime moves it on by the length of the gap.
            return List.of(ZonedDateTime.of(local, zone).toInstant());
        }
        var instants = new ArrayList<Instant>(2);
        instants.add(local.toInstant(offsets.get(0)));
        if (offsets.size() == 2 && everyHour) {
            instants.add(local.toInstant(offsets.get(1)));
        }
        instants.sort(null);
        return instants;
    }

    /** The first local time at or after {@code from} (whole seconds) that the fields match. */
    private Optional<LocalDateTime> nextLocal(LocalDateTime from) {
        LocalDateTime at = from;
        LocalDate searchEnd = from.toLocalDate().plusYears(SEARCH_YEARS);
        while (!at.toLocalDate().isAfter(searchEnd)) {
            if (!months.get(at.getMonthValue())) {
                at = at.toLocalDate().withDayOfMonth(1).plusMonths(1).atStartOfDay();
                continue;
            }
            if (!dayMatches(at.toLocalDate())) {
                at = at.toLocalDate().plusDays(1).atStartOfDay();
                continue;
            }
            int hour = hours.nextSetBit(at.getHour());
            if (hour < 0) {
                at = at.toLocalDate().plusDays(1).atStartOfDay();
                continue;
            }
            if (hour != at.getHour()) {
                at = at.withHour(hour).withMinute(0).withSecond(0);
            }
            int minute = minutes.nextSetBit(at.getMinute());
            if (minute < 0) {
                at = at.withMinute(0).withSecond(0).plusHours(1);
                continue;
            }
            if (minute != at.getMinute()) {
                at = at.withMinute(minute).withSecond(0);
            }
            int second = seconds.nextSetBit(at.getSecond());
            if (second < 0) {
                at = at.withSecond(0).plusMinutes(1);
                continue;
            }
            return Optional.of(at.withSecond(second));
        }
        return Optional.empty();
    }

    private boolean dayMatches(LocalDate date) {
        boolean ofMonth = daysOfMonth.get(date.getDayOfMonth());
        boolean ofWeek = daysOfWeek.get(date.getDayOfWeek().getValue() % 7);
        // An unrestricted field has every bit set, so "and" leaves the other to decide.
        return daysOfMonthRestricted && daysOfWeekRestricted ? ofMonth || ofWeek : ofMonth && ofWeek;
    }

    private static boolean restricts(String field) {
        return !(field.startsWith("*") || field.startsWith("?"));
    }

    private static BitSet single(int value) {
        var bits = new BitSet();
        bits.set(value);
        return bits;
    }

    private static BitSet parse(String expression, Field field, String text) {
        if (!ALLOWED.matcher(text).matches()) {
            throw invalidField(expression, field, text, "only numbers, names and * ? , - / are allowed");
        }
        var bits = new BitSet(field.max() + 1);
        for (String part : text.split(",", -1)) {
            if (part.isEmpty()) {
                throw invalidField(expression, field, text, "a list has an empty element");
            }
            int slash = part.indexOf('/');
            String range = slash < 0 ? part : part.substring(0, slash);
            int step = slash < 0 ? 1 : number(expression, field, text, part.substring(slash + 1), "step");
            if (step < 1) {
                throw invalidField(expression, field, text, "a step must be 1 or more");
            }
            int low;
            int high;
            // Sunday is 0 and 7: a day-of-week range that runs to the end stops at Saturday (6).
            int end = field == Field.DAY_OF_WEEK ? 6 : field.max();
            if (range.equals("*") || (range.equals("?") && field.isDay())) {
                low = field.min();
                high = end;
            } else if (range.contains("-")) {
                String[] ends = range.split("-", -1);
                if (ends.length != 2) {
                    throw invalidField(expression, field, text, "'" + range + "' is not a range a-b");
                }
                low = value(expression, field, text, ends[0]);
                high = value(expression, field, text, ends[1]);
                if (low > high) {
                    throw invalidField(
                            expression, field, text, "the range " + range + " runs backwards; write it as two ranges");
                }
            } else {
                low = value(expression, field, text, range);
                high = slash < 0 ? low : Math.max(low, end);
            }
            for (int v = low; v <= high; v += step) {
                bits.set(v);
            }
        }
        return bits;
    }

    private static int value(String expression, Field field, String text, String token) {
        int named = field.names().indexOf(token.toUpperCase(Locale.ROOT));
        if (named >= 0) {
            return named + field.base();
        }
        int value = number(expression, field, text, token, "value");
        if (value < field.min() || value > field.max()) {
            throw invalidField(expression, field, text, value + " is outside " + field.min() + "-" + field.max());
        }
        return value;
    }

    private static int number(String expression, Field field, String text, String token, String what) {
        if (token.isEmpty() || !token.chars().allMatch(Character::isDigit) || token.length() > 4) {
            String names = field.names().isEmpty() || what.equals("step")
                    ? ""
                    : " or a name (" + String.join(" ", field.names()) + ")";
            throw invalidField(expression, field, text, "'" + token + "' is not a " + what + ": a number" + names);
        }
        return Integer.parseInt(token);
    }

    private static JobValidationException invalidField(String expression, Field field, String text, String problem) {
        return invalid(expression, "the " + field.name() + " field '" + text + "': " + problem);
    }

    private static JobValidationException invalid(String expression, String problem) {
        return JobValidationException.of("cron", "'" + expression + "' " + problem);
    }

    @Override
    public String describe() {
        return expression + " (" + zone + ")";
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof CronSchedule that && expression.equals(that.expression) && zone.equals(that.zone);
    }

    @Override
    public int hashCode() {
        return Objects.hash(expression, zone);
    }

    @Override
    public String toString() {
        return describe();
    }
}
