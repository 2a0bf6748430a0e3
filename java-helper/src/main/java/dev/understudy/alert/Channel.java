package dev.understudy.alert;

import java.io.IOException;
import java.util.List;

/** A way to reach the operator. A channel never logs a token; its errors name the channel, not the secret. */
public interface Channel {
    String name();

    void send(List<Notification> notifications) throws IOException;
}
