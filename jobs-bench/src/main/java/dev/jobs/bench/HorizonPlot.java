package dev.jobs.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogarithmicAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.IntervalMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** The long-horizon run's plot: throughput, latency percentiles and dead rows against time, phases shaded. */
final class HorizonPlot {
    private static final Color[] PHASE_SHADES = {
        new Color(255, 255, 255, 0),
        new Color(230, 120, 60, 40),
        new Color(60, 120, 230, 40),
        new Color(255, 255, 255, 0)
    };

    private HorizonPlot() {}

    static void write(List<Horizon.Sample> samples, List<Horizon.Phase> phases, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        var time = new NumberAxis("minutes");
        var combined = new CombinedDomainXYPlot(time);
        combined.add(
                plot(
                        "jobs started / s",
                        new NumberAxis("jobs/s"),
                        phases,
                        series("jobs/s", samples, Horizon.Sample::startedPerSecond)),
                2);
        var millis = new LogarithmicAxis("enqueue→start, ms");
        millis.setAllowNegativesFlag(false);
        combined.add(
                plot(
                        "latency",
                        millis,
                        phases,
                        series("p50", samples, Horizon.Sample::p50),
                        series("p95", samples, Horizon.Sample::p95),
                        series("p99", samples, Horizon.Sample::p99)),
                3);
        combined.add(
                plot(
                        "dead rows",
                        new NumberAxis("dead rows (live partition)"),
                        phases,
                        series("dead rows", samples, s -> s.liveDeadRows())),
                2);
        var chart = new JFreeChart(
                "jobs on PostgreSQL, vacuum held back by phase", JFreeChart.DEFAULT_TITLE_FONT, combined, true);
        chart.setBackgroundPaint(Color.WHITE);
        Files.createDirectories(file.toAbsolutePath().getParent());
        ChartUtils.saveChartAsPNG(file.toFile(), chart, 1200, 900);
    }

    @SafeVarargs
    private static XYPlot plot(String name, NumberAxis axis, List<Horizon.Phase> phases, XYSeries... series) {
        var data = new XYSeriesCollection();
        for (XYSeries s : series) {
            data.addSeries(s);
        }
        var renderer = new XYLineAndShapeRenderer(true, false);
        for (int i = 0; i < series.length; i++) {
            renderer.setSeriesStroke(i, new BasicStroke(1.5f));
        }
        var plot = new XYPlot(data, null, axis, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        double from = 0;
        for (int i = 0; i < phases.size(); i++) {
            double to = from + phases.get(i).length().toSeconds() / 60.0;
            var marker = new IntervalMarker(from, to, PHASE_SHADES[i % PHASE_SHADES.length]);
            if (name.startsWith("jobs")) {
                marker.setLabel(phases.get(i).name());
                marker.setLabelAnchor(RectangleAnchor.TOP);
                marker.setLabelTextAnchor(TextAnchor.TOP_CENTER);
            }
            plot.addDomainMarker(marker);
            from = to;
        }
        return plot;
    }

    private static XYSeries series(String name, List<Horizon.Sample> samples, ToDoubleFunction<Horizon.Sample> y) {
        var series = new XYSeries(name);
        for (Horizon.Sample sample : samples) {
            series.add(sample.minute(), Math.max(y.applyAsDouble(sample), name.startsWith("p") ? 0.1 : 0));
        }
        return series;
    }
}
