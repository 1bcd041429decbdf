# A "Kafka" that accepts connections and never answers: the hung cluster of the
# original incident. Every request librdkafka sends waits for a reply that never comes.
import socket, sys, threading
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", int(sys.argv[1])))
server.listen(128)
held = []
while True:
    connection, _ = server.accept()
    held.append(connection)  # keep it open, read nothing, say nothing
