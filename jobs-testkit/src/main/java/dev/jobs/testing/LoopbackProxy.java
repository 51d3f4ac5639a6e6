package dev.jobs.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy on the loopback interface whose link can be cut and restored, for testing what a
 * client does when the network between it and a server fails. A cut is a black hole, the way a
 * partition looks to both ends: connections stay open but no byte crosses, and new ones are
 * accepted but never reach the server, so a client without timeouts waits for ever. {@link
 * #restore()} resets the connections the cut held (as TCP gives up on them in the end) and forwards
 * new ones again.
 *
 * <p>Thread-safe. One platform thread accepts; each connection pumps on two virtual threads.
 */
public final class LoopbackProxy implements AutoCloseable {
    private final InetSocketAddress upstream;
    private final ServerSocket listener;
    private final List<Link> links = new CopyOnWriteArrayList<>();
    private final Object gate = new Object();
    private volatile boolean cut;
    private volatile boolean closed;

    private LoopbackProxy(InetSocketAddress upstream) throws IOException {
        this.upstream = upstream;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().name("loopback-proxy-" + port()).start(this::accept);
    }

    /** A proxy to {@code host:port}, listening on a free loopback port. */
    public static LoopbackProxy to(String host, int port) {
        try {
            return new LoopbackProxy(new InetSocketAddress(host, port));
        } catch (IOException e) {
            throw new UncheckedIOException("could not open a loopback port for a proxy to " + host + ":" + port, e);
        }
    }

    /** The loopback port clients connect to. */
    public int port() {
        return listener.getLocalPort();
    }

    /** Cuts the link: from now on no byte crosses, in either direction, on any connection. */
    public void cut() {
        cut = true;
    }

    /** Ends the cut: the connections it held are reset, new ones are forwarded. */
    public void restore() {
        for (Link link : links) {
            if (link.heldByCut) {
                link.reset();
            }
        }
        synchronized (gate) {
            cut = false;
            gate.notifyAll();
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        links.forEach(Link::reset);
        synchronized (gate) {
            gate.notifyAll();
        }
    }

    private void accept() {
        while (!closed) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return; // closed
            }
            var link = new Link(client);
            links.add(link);
            Thread.ofVirtual().start(link::open);
        }
    }

    /** Blocks while the link is cut; false once the connection is to be dropped. */
    private boolean passable(Link link) {
        synchronized (gate) {
            while (cut && !closed && !link.reset) {
                link.heldByCut = true;
                try {
                    gate.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return !closed && !link.reset;
    }

    /** One client connection and, once it may pass, its server connection. */
    private final class Link {
        private final Socket client;
        private volatile Socket server;
        private volatile boolean heldByCut;
        private volatile boolean reset;

        Link(Socket client) {
            this.client = client;
        }

        void open() {
            try {
                if (!passable(this)) {
                    reset();
                    return;
                }
                server = new Socket(upstream.getAddress(), upstream.getPort());
                Thread.ofVirtual().start(() -> pump(client, server));
                pump(server, client);
            } catch (IOException e) {
                reset();
            }
        }

        private void pump(Socket from, Socket to) {
            byte[] buffer = new byte[16 * 1024];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                int read;
                while ((read = in.read(buffer)) >= 0) {
                    if (!passable(this)) {
                        break;
                    }
                    out.write(buffer, 0, read);
                    out.flush();
                }
            } catch (IOException e) {
                // one side closed or was reset: drop both
            }
            reset();
        }

        /** Drops both ends at once, with a reset rather than an orderly close. */
        void reset() {
            reset = true;
            links.remove(this);
            for (Socket socket : new Socket[] {client, server}) {
                if (socket == null) {
                    continue;
                }
                try {
                    socket.setSoLinger(true, 0);
                    socket.close();
                } catch (IOException ignored) {
                    // already gone
                }
            }
            synchronized (gate) {
                gate.notifyAll();
            }
        }
    }
}
