# tiergate as a container image, for those who prefer a Dockerfile (the Maven build makes the same
# image without a Docker daemon: mvn -Pjib package → target/tiergate-image.tar).
#   docker build -t tiergate:0.1.0 .
#   docker run -p 8080:8080 -v $PWD/my.yaml:/etc/tiergate/tiergate.yaml:ro tiergate:0.1.0
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml ./
COPY src src
COPY config config
RUN mvn -B -ntp -DskipTests package

FROM eclipse-temurin:17-jre
RUN groupadd -g 10001 tiergate && useradd -u 10001 -g 10001 -M -s /usr/sbin/nologin tiergate
COPY --from=build /src/target/tiergate.jar /app/tiergate.jar
# The class-data archive must come from this image's JVM: one recorded start (as the Maven build does).
RUN java -XX:ArchiveClassesAtExit=/app/tiergate.jsa -Xlog:cds=off -Xlog:cds+dynamic=off -jar /app/tiergate.jar cds-training
USER 10001:10001
EXPOSE 8080 9464
# Exec form: java is PID 1 and gets SIGTERM (drain) and SIGHUP (reload keys) itself.
ENTRYPOINT ["java", "-XX:SharedArchiveFile=/app/tiergate.jsa", "-XX:+UseSerialGC", "-Xms64m", "-Xmx256m", "-jar", "/app/tiergate.jar"]
CMD ["serve", "--config", "/etc/tiergate/tiergate.yaml"]
