# The real recipe's abra.sh holds the versions of its configs (traefik.yml, file-provider.yml); the stand-in image
# carries its own configuration, so there are none here.
export FILE_PROVIDER_YML_VERSION=v1
