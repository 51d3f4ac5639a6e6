package dev.jobs.http;

import static dev.jobs.testing.JobsTesting.EVENTUALLY;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.jobs.core.Job;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobError;
import dev.jobs.core.JobGraph;
import dev.jobs.core.JobSpec;
import dev.jobs.core.QueueLimits;
import dev.jobs.core.RecurringJob;
import dev.jobs.core.Schedule;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real browser: the system's headless Chromium, driven through its own
 * chromedriver (nothing is downloaded). Jobs are made through the engine; everything else happens
 * by clicking. Screenshots go to {@code target/screenshots} for a person to look at.
 */
class DashboardBrowserTest {
    private static final String ADMIN = "admin-token-0123456789";
    private static final String READER = "reader-token-0123456789";
    private static final Path SCREENSHOTS = Path.of("target", "screenshots");
    private static final String ISSUER = "https://id.test";

    /** The identity provider's key: JWTs signed with it are accepted as the static tokens are. */
    private static final ECKey PROVIDER_KEY;

    static {
        try {
            PROVIDER_KEY = new ECKeyGenerator(Curve.P_256).keyID("provider-1").generate();
        } catch (JOSEException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private JobEngine engine;
    private JobsHttpServer server;
    private WebDriver browser;
    private WebDriverWait wait;

    @BeforeEach
    void start() {
        engine = JobEngine.builder().build();
        server = JobsHttpServer.start(
                JobsHttpApi.builder()
                        .engine(engine)
                        .token(ADMIN, Role.ADMIN)
                        .token(READER, Role.READ)
                        .jwt(JwtSettings.builder()
                                .keys(new JWKSet(PROVIDER_KEY.toPublicJWK()).toString())
                                .issuer(ISSUER)
                                .audience("jobs")
                                .build())
                        .build(),
                new InetSocketAddress("127.0.0.1", 0));
        browser = chromium();
        // The page updates from the event stream in milliseconds; the wait is for a page that never does.
        wait = new WebDriverWait(browser, EVENTUALLY);
        // The page redraws its tables on every refresh: an element found just before a redraw is
        // stale when read, and the condition is simply asked again.
        wait.ignoring(StaleElementReferenceException.class);
    }

    @AfterEach
    void stop() {
        if (browser != null) {
            browser.quit();
        }
        server.close();
        engine.close();
    }

    /** The system's Chromium and chromedriver, or those JOBS_TEST_CHROMIUM and JOBS_TEST_CHROMEDRIVER name. */
    private static WebDriver chromium() {
        String binary = Optional.ofNullable(System.getenv("JOBS_TEST_CHROMIUM")).orElse("/usr/bin/chromium");
        String driver =
                Optional.ofNullable(System.getenv("JOBS_TEST_CHROMEDRIVER")).orElse("/usr/bin/chromedriver");
        assertThat(new File(binary))
                .as("Chromium at %s: install Debian's chromium and chromium-driver (.ci/run does)", binary)
                .canRead();
        assertThat(new File(driver)).as("chromedriver at %s", driver).canRead();
        var options = new ChromeOptions();
        options.setBinary(binary);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1500,1000");
        var service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(driver))
                .build();
        return new ChromeDriver(service, options);
    }

    private void signIn(String token) {
        browser.get("http://127.0.0.1:" + server.port() + "/");
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token")))
                .sendKeys(token);
        browser.findElement(By.id("login-button")).click();
    }

    private WebElement byId(String id) {
        return wait.until(ExpectedConditions.visibilityOfElementLocated(By.id(id)));
    }

    private void waitForText(By locator, String text) {
        wait.until(ExpectedConditions.textToBePresentInElementLocated(locator, text));
    }

    private String queueCount(String queue, String state) {
        return browser.findElement(By.cssSelector("#queue-" + queue + " td[data-state='" + state + "']"))
                .getText();
    }

    private void filter(String state, String queue, String type) {
        new Select(browser.findElement(By.id("filter-state"))).selectByValue(state);
        setText("filter-queue", queue);
        setText("filter-type", type);
        browser.findElement(By.id("apply")).click();
    }

    private void setText(String id, String text) {
        WebElement input = browser.findElement(By.id(id));
        input.clear();
        input.sendKeys(text);
    }

    private List<WebElement> jobRows() {
        return browser.findElements(By.cssSelector("#job-table tbody tr"));
    }

    /** The height of this minute's bar of the throughput chart, of class {@code ok} or {@code bad}. */
    /**
     * The tallest of the chart's two newest bars of one kind: the minute a job just finished in is
     * the newest, or the one before it once the clock has turned to the next minute.
     */
    private double barHeight(String kind) {
        List<WebElement> bars = browser.findElements(By.cssSelector("#chart rect." + kind));
        return bars.subList(Math.max(0, bars.size() - 2), bars.size()).stream()
                .mapToDouble(bar -> Double.parseDouble(bar.getDomAttribute("height")))
                .max()
                .orElse(0);
    }

    private void screenshot(String name) throws IOException {
        Files.createDirectories(SCREENSHOTS);
        File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void anAdminSeesCountsFiltersRetriesCancelsPausesAndWatchesAJobSucceedLive() throws Exception {
        for (int i = 0; i < 3; i++) {
            engine.enqueue(JobSpec.of("email.send", Map.of("to", "user" + i + "@example.com"))
                    .withQueue("mail"));
        }
        engine.enqueue(JobSpec.of("report.build", Map.of("month", "2026-10")).withQueue("reports"));
        Job report = engine.remoteWorkers()
                .acquire("w1", "test", Set.of("reports"), 1, Duration.ofMinutes(1), Duration.ZERO)
                .get(0);
        UUID reportToken = report.leaseToken().orElseThrow();
        engine.remoteWorkers()
                .recordStep(report.id(), reportToken, 0, "render", JsonNodeFactory.instance.textNode("page-1.pdf"));
        engine.remoteWorkers()
                .saveCheckpoint(
                        report.id(),
                        reportToken,
                        JsonNodeFactory.instance.objectNode().put("nextPage", 2));
        engine.remoteWorkers()
                .fail(
                        report.id(),
                        report.leaseToken().orElseThrow(),
                        JobError.of("DiskFull", "disk full"),
                        false,
                        Optional.empty());
        Map<String, Job> etl = engine.graph(JobGraph.builder()
                .add("extract", JobSpec.of("etl.extract").withQueue("etl"))
                .add("load", JobSpec.of("etl.load").withQueue("etl"), "extract")
                .build());
        engine.putRecurring(RecurringJob.of(
                "nightly-report",
                Schedule.cron("0 2 * * *", ZoneId.of("UTC")),
                JobSpec.of("report.build").withQueue("reports")));

        engine.setQueueLimits(
                "mail",
                QueueLimits.none()
                        .withMaxRunning(2)
                        .withMaxStarts(5, Duration.ofSeconds(1))
                        .withMaxRunningPerKey(1));

        signIn(ADMIN);

        // Counts per queue and state, and each queue's limits.
        byId("queue-mail");
        wait.until(d -> queueCount("mail", "READY").equals("3"));
        assertThat(browser.findElement(By.cssSelector("#queue-mail .limits")).getText())
                .isEqualTo("≤ 2 running · 5 / 1 s · ≤ 1 per key");
        assertThat(browser.findElement(By.cssSelector("#queue-reports .limits")).getText())
                .isEqualTo("–");
        assertThat(queueCount("reports", "FAILED")).isEqualTo("1");
        assertThat(byId("role").getText()).startsWith("role: admin");
        waitForText(By.id("live"), "live");

        // Recurring schedules with their next runs.
        WebElement nightly = byId("recurring-nightly-report");
        assertThat(nightly.getText())
                .contains("0 2 * * * (UTC)")
                .contains("report.build on reports")
                .contains("run once");
        assertThat(nightly.findElement(By.className("next-runs")).getText().split(" · "))
                .as("the next three runs")
                .hasSize(3);
        assertThat(browser.findElement(By.id("no-recurring")).isDisplayed()).isFalse();
        screenshot("dashboard-overview");

        // Filter to the failed job, open it, retry it.
        filter("failed", "", "");
        wait.until(d -> jobRows().size() == 1 && jobRows().get(0).getText().contains("report.build"));
        jobRows().get(0).click();
        waitForText(By.id("detail-state"), "FAILED");
        assertThat(byId("detail-error").getText()).contains("DiskFull: disk full");
        assertThat(byId("detail-attempts").getText())
                .contains("w1")
                .contains("FAILED")
                .contains("DiskFull: disk full");
        // The durable work the failed attempt left for the next one.
        wait.until(d -> byId("detail-steps").getText().contains("render"));
        assertThat(byId("detail-steps").getText()).contains("1 render").contains("\"page-1.pdf\"");
        assertThat(browser.findElement(By.id("no-steps")).isDisplayed()).isFalse();
        assertThat(byId("detail-checkpoint").getText())
                .contains("\"nextPage\": 2")
                .contains("saved");
        byId("retry").click();
        waitForText(By.id("detail-state"), "READY");

        // Cancel a queued job.
        filter("ready", "mail", "");
        wait.until(d -> jobRows().size() == 3);
        jobRows().get(0).click();
        byId("cancel").click();
        waitForText(By.id("detail-state"), "CANCELLED");
        wait.until(d -> queueCount("mail", "CANCELLED").equals("1"));

        // Pause a queue.
        byId("pause-mail").click();
        byId("resume-mail");
        waitForText(By.id("queue-mail"), "paused");
        assertThat(engine.counts().stream()
                        .filter(q -> q.queue().equals("mail"))
                        .findFirst()
                        .orElseThrow()
                        .paused())
                .isTrue();

        // A job's dependencies, drawn as a graph.
        filter("", "etl", "etl.load");
        wait.until(d -> jobRows().size() == 1);
        jobRows().get(0).click();
        waitForText(By.id("detail-type"), "etl.load");
        WebElement parent = wait.until(ExpectedConditions.presenceOfElementLocated(
                By.cssSelector("#graph g[data-job-id='" + etl.get("extract").id() + "']")));
        assertThat(parent.getText()).contains("etl.extract");
        // From the parent, the graph shows its child.
        parent.click();
        waitForText(By.id("detail-type"), "etl.extract");
        wait.until(ExpectedConditions.presenceOfElementLocated(
                By.cssSelector("#graph g[data-job-id='" + etl.get("load").id() + "']")));
        screenshot("dashboard-job");

        // Live: a new job appears, then turns succeeded, without a reload.
        filter("", "live", "");
        wait.until(d -> jobRows().isEmpty());
        ((JavascriptExecutor) browser).executeScript("window.notReloaded = true;");
        Job live = engine.enqueue(JobSpec.of("live.work").withQueue("live"));
        By row = By.id("job-" + live.id());
        wait.until(ExpectedConditions.presenceOfElementLocated(row));
        waitForText(row, "READY");
        Job running = engine.remoteWorkers()
                .acquire("w1", "test", Set.of("live"), 1, Duration.ofMinutes(1), Duration.ZERO)
                .get(0);
        waitForText(row, "RUNNING");
        engine.remoteWorkers().complete(running.id(), running.leaseToken().orElseThrow(), Optional.empty());
        waitForText(row, "SUCCEEDED");
        assertThat(((JavascriptExecutor) browser).executeScript("return window.notReloaded === true;"))
                .isEqualTo(true);
        // The chart shows this minute's success; the failed report was retried, so no failure stands.
        wait.until(d -> barHeight("ok") > 0);
        assertThat(barHeight("bad")).isZero();
        screenshot("dashboard-jobs");
    }

    @Test
    void aReadOnlyTokenSeesEverythingButNoActions() throws Exception {
        Job job = engine.enqueue(JobSpec.of("email.send").withQueue("mail"));

        signIn(READER);

        assertThat(byId("role").getText()).contains("read only");
        wait.until(d -> queueCount("mail", "READY").equals("1"));
        assertThat(browser.findElements(By.id("pause-mail"))).isEmpty();
        byId("job-" + job.id()).click();
        waitForText(By.id("detail-state"), "READY");
        assertThat(browser.findElement(By.id("cancel")).isDisplayed()).isFalse();
        assertThat(browser.findElement(By.id("retry")).isDisplayed()).isFalse();
        waitForText(By.id("detail-checkpoint"), "–");
        assertThat(byId("no-steps").isDisplayed())
                .as("a job with no steps says so")
                .isTrue();
    }

    @Test
    void aPastedJwtSignsInWithItsRole() throws Exception {
        var claims = new JWTClaimsSet.Builder()
                .issuer(ISSUER)
                .audience("jobs")
                .subject("alice")
                .claim("roles", List.of("read"))
                .expirationTime(Date.from(Instant.now().plus(Duration.ofMinutes(10))))
                .build();
        var jwt = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.ES256)
                        .keyID(PROVIDER_KEY.getKeyID())
                        .build(),
                claims);
        jwt.sign(new ECDSASigner(PROVIDER_KEY));

        signIn(jwt.serialize());

        assertThat(byId("role").getText()).contains("read only");
    }

    @Test
    void aWrongTokenIsRefusedOnTheSignInForm() {
        signIn("wrong-token-0123456789");

        waitForText(By.id("login-error"), "not accepted");
        assertThat(browser.findElement(By.id("app")).isDisplayed()).isFalse();
    }
}
