package dev.eryx.internal.net.tls;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.security.auth.x500.X500Principal;

/**
 * A certificate as CPython's {@code SSLSocket.getpeercert()} dict, tuples as JSON arrays: {@code
 * subject} and {@code issuer} ({@code [[["commonName", "x"]], ...]}, one array per relative
 * distinguished name), {@code version}, {@code serialNumber} (upper-case hex), {@code notBefore}
 * and {@code notAfter} ({@code "Jan 5 09:00:00 2027 GMT"}), and when present {@code subjectAltName}
 * ({@code [["DNS", "localhost"], ["IP Address", "127.0.0.1"]]}), {@code OCSP}, {@code caIssuers}
 * and {@code crlDistributionPoints}. Attribute names are OpenSSL's long names, as CPython gives
 * them; an unknown attribute is its dotted OID. A part that cannot be decoded is left out rather
 * than failing the connection.
 */
final class PeerCertDict {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss yyyy 'GMT'", Locale.ENGLISH)
                    .withZone(ZoneOffset.UTC);

    private static final Map<String, String> NAMES =
            Map.ofEntries(
                    Map.entry("2.5.4.3", "commonName"),
                    Map.entry("2.5.4.4", "surname"),
                    Map.entry("2.5.4.5", "serialNumber"),
                    Map.entry("2.5.4.6", "countryName"),
                    Map.entry("2.5.4.7", "localityName"),
                    Map.entry("2.5.4.8", "stateOrProvinceName"),
                    Map.entry("2.5.4.9", "streetAddress"),
                    Map.entry("2.5.4.10", "organizationName"),
                    Map.entry("2.5.4.11", "organizationalUnitName"),
                    Map.entry("2.5.4.12", "title"),
                    Map.entry("2.5.4.13", "description"),
                    Map.entry("2.5.4.15", "businessCategory"),
                    Map.entry("2.5.4.16", "postalAddress"),
                    Map.entry("2.5.4.17", "postalCode"),
                    Map.entry("2.5.4.18", "postOfficeBox"),
                    Map.entry("2.5.4.41", "name"),
                    Map.entry("2.5.4.42", "givenName"),
                    Map.entry("2.5.4.43", "initials"),
                    Map.entry("2.5.4.44", "generationQualifier"),
                    Map.entry("2.5.4.46", "dnQualifier"),
                    Map.entry("2.5.4.65", "pseudonym"),
                    Map.entry("2.5.4.97", "organizationIdentifier"),
                    Map.entry("1.2.840.113549.1.9.1", "emailAddress"),
                    Map.entry("0.9.2342.19200300.100.1.1", "userId"),
                    Map.entry("0.9.2342.19200300.100.1.25", "domainComponent"),
                    Map.entry("1.3.6.1.4.1.311.60.2.1.1", "jurisdictionLocalityName"),
                    Map.entry("1.3.6.1.4.1.311.60.2.1.2", "jurisdictionStateOrProvinceName"),
                    Map.entry("1.3.6.1.4.1.311.60.2.1.3", "jurisdictionCountryName"));

    private static final String AUTHORITY_INFO_ACCESS = "1.3.6.1.5.5.7.1.1";
    private static final String OCSP = "1.3.6.1.5.5.7.48.1";
    private static final String CA_ISSUERS = "1.3.6.1.5.5.7.48.2";
    private static final String CRL_DISTRIBUTION_POINTS = "2.5.29.31";
    private static final int URI_NAME = 0x86; // GeneralName [6] IA5String, implicit

    private PeerCertDict() {}

    static ObjectNode empty() {
        return JSON.objectNode();
    }

    static ObjectNode of(X509Certificate cert) {
        ObjectNode dict = JSON.objectNode();
        putName(dict, "subject", cert.getSubjectX500Principal());
        putName(dict, "issuer", cert.getIssuerX500Principal());
        dict.put("version", cert.getVersion());
        dict.put("serialNumber", serial(cert.getSerialNumber()));
        dict.put("notBefore", TIME.format(cert.getNotBefore().toInstant()));
        dict.put("notAfter", TIME.format(cert.getNotAfter().toInstant()));
        ArrayNode san = subjectAltName(cert);
        if (san != null && !san.isEmpty()) {
            dict.set("subjectAltName", san);
        }
        accessDescriptions(dict, cert);
        ArrayNode crl = distributionPoints(cert);
        if (crl != null && !crl.isEmpty()) {
            dict.set("crlDistributionPoints", crl);
        }
        return dict;
    }

    static String serial(BigInteger serial) {
        String hex = serial.toString(16).toUpperCase(Locale.ROOT);
        return hex.length() % 2 == 1 ? "0" + hex : hex;
    }

    private static void putName(ObjectNode dict, String key, X500Principal principal) {
        try {
            dict.set(key, name(principal.getEncoded()));
        } catch (IllegalArgumentException e) {
            // An undecodable name is left out.
        }
    }

    /** Name ::= SEQUENCE OF SET OF AttributeTypeAndValue. */
    private static ArrayNode name(byte[] der) {
        ArrayNode rdns = JSON.arrayNode();
        for (Der.Element set : Der.single(der).children()) {
            ArrayNode rdn = rdns.addArray();
            for (Der.Element atv : set.children()) {
                List<Der.Element> parts = atv.children();
                if (parts.size() != 2) {
                    throw new IllegalArgumentException("bad AttributeTypeAndValue");
                }
                String oid = parts.get(0).oid();
                rdn.addArray().add(NAMES.getOrDefault(oid, oid)).add(parts.get(1).text());
            }
        }
        return rdns;
    }

    private static ArrayNode subjectAltName(X509Certificate cert) {
        Collection<List<?>> names;
        try {
            names = cert.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            return null;
        }
        if (names == null) {
            return null;
        }
        ArrayNode out = JSON.arrayNode();
        for (List<?> entry : names) {
            if (entry.size() < 2 || !(entry.get(0) instanceof Integer type)) {
                continue;
            }
            Object value = entry.get(1);
            ArrayNode pair = JSON.arrayNode();
            switch (type) {
                case 0 -> pair.add("othername").add("<unsupported>");
                case 1 -> pair.add("email").add(String.valueOf(value));
                case 2 -> pair.add("DNS").add(String.valueOf(value));
                case 3 -> pair.add("X400Name").add("<unsupported>");
                case 4 -> {
                    try {
                        pair.add("DirName")
                                .add(name(new X500Principal(String.valueOf(value)).getEncoded()));
                    } catch (IllegalArgumentException e) {
                        continue;
                    }
                }
                case 5 -> pair.add("EdiPartyName").add("<unsupported>");
                case 6 -> pair.add("URI").add(String.valueOf(value));
                case 7 -> pair.add("IP Address").add(ipAddress(String.valueOf(value)));
                case 8 -> pair.add("Registered ID").add(String.valueOf(value));
                default -> {
                    continue;
                }
            }
            out.add(pair);
        }
        return out;
    }

    /** CPython prints IPv6 SAN entries as eight upper-case hex groups, uncompressed. */
    private static String ipAddress(String jdk) {
        if (jdk.indexOf(':') < 0) {
            return jdk;
        }
        String[] groups = jdk.split(":", -1);
        if (groups.length != 8) {
            return jdk;
        }
        StringBuilder sb = new StringBuilder();
        try {
            for (String g : groups) {
                if (sb.length() > 0) {
                    sb.append(':');
                }
                sb.append(Integer.toHexString(Integer.parseInt(g, 16)).toUpperCase(Locale.ROOT));
            }
        } catch (NumberFormatException e) {
            return jdk;
        }
        return sb.toString();
    }

    /** Authority information access: the OCSP responders and CA issuer URIs. */
    private static void accessDescriptions(ObjectNode dict, X509Certificate cert) {
        byte[] ext = cert.getExtensionValue(AUTHORITY_INFO_ACCESS);
        if (ext == null) {
            return;
        }
        ArrayNode ocsp = JSON.arrayNode();
        ArrayNode issuers = JSON.arrayNode();
        try {
            Der.Element seq = Der.single(Der.single(ext).content());
            for (Der.Element description : seq.children()) {
                List<Der.Element> parts = description.children();
                if (parts.size() != 2 || parts.get(1).tag() != URI_NAME) {
                    continue;
                }
                String method = parts.get(0).oid();
                String uri = parts.get(1).text();
                if (OCSP.equals(method)) {
                    ocsp.add(uri);
                } else if (CA_ISSUERS.equals(method)) {
                    issuers.add(uri);
                }
            }
        } catch (IllegalArgumentException e) {
            return;
        }
        if (!ocsp.isEmpty()) {
            dict.set("OCSP", ocsp);
        }
        if (!issuers.isEmpty()) {
            dict.set("caIssuers", issuers);
        }
    }

    /** The URIs of the CRL distribution points' full names. */
    private static ArrayNode distributionPoints(X509Certificate cert) {
        byte[] ext = cert.getExtensionValue(CRL_DISTRIBUTION_POINTS);
        if (ext == null) {
            return null;
        }
        ArrayNode out = JSON.arrayNode();
        try {
            for (Der.Element point : Der.single(Der.single(ext).content()).children()) {
                for (Der.Element field : point.children()) {
                    if (field.tag() != 0xA0) {
                        continue; // not the distributionPoint
                    }
                    for (Der.Element pointName : field.children()) {
                        if (pointName.tag() != 0xA0) {
                            continue; // nameRelativeToCRLIssuer
                        }
                        for (Der.Element general : pointName.children()) {
                            if (general.tag() == URI_NAME) {
                                out.add(general.text());
                            }
                        }
                    }
                }
            }
        } catch (IllegalArgumentException e) {
            return null;
        }
        return out;
    }
}
